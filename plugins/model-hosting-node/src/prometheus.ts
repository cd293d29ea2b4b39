/** One sample of the Prometheus text format: `name{labels} value`. */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** Samples by sample name (histograms keep their `_bucket`, `_sum` and `_count` names). */
export type MetricFamilies = Map<string, MetricSample[]>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return text !== '' && !Number.isNaN(value) ? value : undefined;
}

/** Reads `{a="1",b="x\"y"}` from position `i` (just after the name); undefined when malformed. */
function parseLabels(
  line: string,
  start: number,
): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
    if (!name) return undefined;
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=' || line[i + 1] !== '"') return undefined;
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : next;
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    labels[name] = value;
    i++;
  }
}

/**
 * Parses the Prometheus text exposition format (version 0.0.4). Lines that do not parse are
 * skipped rather than trusted: the text comes from a model server, not from us.
 */
export function parseMetrics(text: string): MetricFamilies {
  const families: MetricFamilies = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) continue;
    let labels: Record<string, string> = {};
    let rest = line.slice(name.length);
    if (rest.startsWith('{')) {
      const parsed = parseLabels(line, name.length);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = line.slice(parsed.end);
    }
    const value = parseValue(rest.trim().split(/\s+/)[0] ?? '');
    if (value === undefined) continue;
    const samples = families.get(name) ?? [];
    samples.push({ labels, value });
    families.set(name, samples);
  }
  return families;
}

/** The sum of a metric's finite samples over all its labels; undefined when it has none. */
export function sumSamples(
  metrics: MetricFamilies,
  name: string,
): number | undefined {
  const samples = metrics.get(name)?.filter(s => Number.isFinite(s.value));
  if (!samples?.length) return undefined;
  return samples.reduce((n, s) => n + s.value, 0);
}
