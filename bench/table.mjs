// The one table of bench/all.sh: every row the benchmarks recorded (JSON lines in the results
// file), the machine they ran on, and for each benchmark with a MISS the heaviest functions of the
// backend's CPU profile (--cpu-prof, in <profiles>/<bench>/). Also written as Markdown for the
// README. Exit status 1 on any MISS or when a benchmark crashed (its name in MH_BENCH_CRASHED).
//
//   node bench/table.mjs <results.jsonl> [profiles-dir] [markdown-out]
import fs from 'node:fs';
import path from 'node:path';
import { heaviest, load, machine, smoke } from './common.mjs';

const [resultsFile, profiles, markdownOut] = process.argv.slice(2);
const rows = fs.existsSync(resultsFile)
  ? fs
      .readFileSync(resultsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(l => JSON.parse(l))
  : [];
const crashed = (process.env.MH_BENCH_CRASHED ?? '').split(' ').filter(Boolean);
const verdict = r => {
  if (r.pass === undefined || r.pass === null) return '';
  return r.pass ? 'PASS' : 'MISS';
};
const cells = r => [
  r.bench,
  r.figure,
  r.target,
  r.measured,
  r.peer,
  r.ratio,
  verdict(r),
];
const header = [
  'bench',
  'figure',
  'target',
  'measured',
  'peer or floor',
  'ratio',
  'verdict',
];
const escape = s => String(s ?? '').replace(/\|/g, '\\|');
const markdown = [
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map(r => `| ${cells(r).map(escape).join(' | ')} |`),
  ...crashed.map(
    b => `| ${b} | crashed: see its output above |  |  |  |  | MISS |`,
  ),
];
const machineLine = `${machine()}; load ${load()} at the end${
  process.env.MH_BENCH_LOAD_BEFORE
    ? ` (${process.env.MH_BENCH_LOAD_BEFORE} before)`
    : ''
}`;
const misses = rows.filter(r => r.pass === false);

// The heaviest functions of each benchmark that missed a target.
const profileLines = [];
if (profiles && fs.existsSync(profiles))
  for (const bench of [...new Set(misses.map(r => r.bench))]) {
    const dir = path.join(profiles, bench);
    if (!fs.existsSync(dir)) continue;
    const files = fs
      .readdirSync(dir)
      .filter(f => f.endsWith('.cpuprofile'))
      .map(f => path.join(dir, f))
      .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
    if (!files.length) continue;
    try {
      profileLines.push(
        `${bench}: the backend's heaviest functions (self time, ${path.basename(
          files[0],
        )})`,
        ...heaviest(files[0], 15).map(l => `    ${l}`),
      );
    } catch (e) {
      profileLines.push(`${bench}: profile unreadable (${e.message})`);
    }
  }

console.log(
  `\n${
    smoke ? 'Smoke run (small N, nothing judged)' : 'Benchmarks'
  } on ${machineLine}\n`,
);
console.log(markdown.join('\n'));
if (profileLines.length) console.log(`\n${profileLines.join('\n')}`);
console.log(
  `\n${rows.length} figures, ${
    rows.filter(r => r.pass === true).length
  } PASS, ${misses.length} MISS${
    crashed.length ? `, crashed: ${crashed.join(', ')}` : ''
  }`,
);
if (markdownOut)
  fs.writeFileSync(
    markdownOut,
    `Machine: ${machineLine}\n\n${markdown.join('\n')}\n${
      profileLines.length
        ? `\n\`\`\`\n${profileLines.join('\n')}\n\`\`\`\n`
        : ''
    }`,
  );
process.exit(misses.length || crashed.length ? 1 : 0);
