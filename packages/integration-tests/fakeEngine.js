// Moved to packages/engine-stand-ins (@modelhosting/engine-stand-ins): one stand-in per engine.
// Kept here until every caller imports it from there.
module.exports = require('../engine-stand-ins/src/fakeEngine.js');
