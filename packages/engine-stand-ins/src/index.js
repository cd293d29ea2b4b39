// Stand-ins for the model servers of each engine, one per engine, each answering only its own
// engine's API. See README.md.
'use strict';

const {
  ENGINES,
  createStandIn,
  summarize,
  checkControl,
  applyControl,
  clearReceived,
  CONTROL_DEFAULTS,
} = require('./standIn');
const { createFakeEngine } = require('./fakeEngine');
const { normalizeModelName } = require('./ollama');
const { podNetwork } = require('./client');

module.exports = {
  engines: Object.keys(ENGINES),
  createStandIn,
  createFakeEngine,
  summarize,
  checkControl,
  applyControl,
  clearReceived,
  CONTROL_DEFAULTS,
  normalizeModelName,
  podNetwork,
};
