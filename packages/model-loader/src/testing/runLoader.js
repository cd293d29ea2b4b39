// Runs the loader in-process, as the init container would, and collects what it reports.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { run } = require('../loader');

/**
 * Resolves {code, lines (the JSON lines on stdout), termination (the termination log, parsed when
 * JSON), stderr}. `models` becomes MODEL_SOURCES; env adds to it.
 */
async function runLoader(models, env = {}, { signal } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-loader-run-'));
  const terminationLog = path.join(dir, 'termination-log');
  let out = '';
  let err = '';
  const code = await run(
    {
      MODEL_SOURCES: JSON.stringify(models),
      TERMINATION_LOG: terminationLog,
      ...env,
    },
    {
      stdout: { write: t => (out += t) },
      stderr: { write: t => (err += t) },
      signal,
    },
  );
  let termination = fs.existsSync(terminationLog)
    ? fs.readFileSync(terminationLog, 'utf8')
    : undefined;
  try {
    termination = JSON.parse(termination);
  } catch {
    // a failure's one-line message
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    code,
    lines: out
      .split('\n')
      .filter(Boolean)
      .map(l => JSON.parse(l)),
    termination,
    stderr: err,
  };
}

module.exports = { runLoader };
