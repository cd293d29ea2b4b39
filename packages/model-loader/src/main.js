#!/usr/bin/env node
// The model-loader init container's entry point: no arguments, everything from the environment
// (see README.md). Exit code 0 when the served model is in the cache, 1 otherwise.
'use strict';

const { run } = require('./loader');

// The AWS SDK warns about Node versions it will stop supporting: not news for a pod's log.
const emit = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (
    type === 'NodeVersionSupportWarning' ||
    /^NodeVersionSupportWarning\b/.test(String(warning?.message ?? warning))
  )
    return;
  emit(warning, ...rest);
};

const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => controller.abort(new Error(`stopped (${signal})`)));

run(process.env, { signal: controller.signal }).then(
  code => {
    process.exitCode = code;
    // Keep-alive sockets must not hold the process open.
    setTimeout(() => process.exit(code), 100).unref();
  },
  err => {
    process.stderr.write(`model-loader: ${err?.stack || err}\n`);
    process.exit(1);
  },
);
