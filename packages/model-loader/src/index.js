// @modelhosting/model-loader as a library: the same code the init container runs.
'use strict';

const { run, parseModels, terminationMessage } = require('./loader');
const {
  MARKER,
  modelCacheDir,
  parseSource,
  checkRelativePath,
} = require('./layout');

module.exports = {
  run,
  parseModels,
  terminationMessage,
  MARKER,
  modelCacheDir,
  parseSource,
  checkRelativePath,
};
