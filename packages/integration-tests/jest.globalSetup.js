const { up, ensureRealOllama } = require('./testCluster');

module.exports = async () => {
  // Before the cluster, so that its pod runner finds the engine when it starts.
  ensureRealOllama();
  globalThis.__MH_TEST_CLUSTER__ = up();
  // Workers inherit the environment: tests read the kubeconfig path from here.
  process.env.MH_TEST_KUBECONFIG = globalThis.__MH_TEST_CLUSTER__.kubeconfig;
  process.env.MH_TEST_APP_CONFIG = globalThis.__MH_TEST_CLUSTER__.appConfig;
};
