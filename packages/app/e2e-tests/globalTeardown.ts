const { down } = require('../../integration-tests/testCluster');

export default async function globalTeardown() {
  down(process.env.MH_E2E_STOPS_CLUSTER === '1');
}
