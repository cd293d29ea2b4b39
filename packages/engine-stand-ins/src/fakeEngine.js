// A stand-in model server on loopback, in-process: for unit-level tests that need one without a
// cluster. Built from the same per-engine handlers as the servers behind the pod network.
//
//   const e = await createFakeEngine({ engine: 'vllm', servedModel: 'm' });
//   e.url; e.state.mode = 'hang'; e.state.counters.success; await e.close();
//
// Without `engine` it answers every engine's routes at once (the old behaviour, kept until every
// caller names its engine): new code should always pass `engine`.
'use strict';

const http = require('http');
const { createStandIn } = require('./standIn');
const { addModel } = require('./ollama');

function createFakeEngine({
  engine = 'any',
  models,
  servedModel,
  mode = 'ok',
  port = 0,
  env = {},
  args = [],
  image,
} = {}) {
  const standIn = createStandIn({ engine, env, args, image });
  const { state } = standIn;
  if (servedModel !== undefined) state.servedModel = servedModel;
  for (const m of models || []) addModel(state, m);
  state.mode = mode;
  const server = http.createServer((req, res) => {
    standIn.handle(req, res).catch(e => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        state,
        close: () =>
          new Promise(r => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

module.exports = { createFakeEngine };
