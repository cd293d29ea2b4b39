const { down } = require('./testCluster');

module.exports = async () => {
  down(globalThis.__MH_TEST_CLUSTER__?.started);
};
