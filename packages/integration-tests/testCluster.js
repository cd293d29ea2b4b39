// One local cluster per test run, shared by the integration tests (jest) and the end-to-end
// tests (playwright). scripts/test.sh starts it once and sets MH_TEST_STATE_DIR; run alone,
// a test layer starts its own and stops it afterwards.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '../..');
const name = 'mh-test';

function paths(stateDir) {
  return {
    stateDir,
    kubeconfig: path.join(stateDir, `${name}.kubeconfig`),
    appConfig: path.join(stateDir, `${name}.app-config.yaml`),
  };
}

function run(command, stateDir) {
  execFileSync(
    'bash',
    [path.join(repo, 'scripts/cluster/cluster.sh'), command],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        MH_CLUSTER: name,
        MH_KUBE_PORT: '0',
        MH_STATE_DIR: stateDir,
      },
    },
  );
}

/** Starts the test cluster unless one is already provided; returns its files and whether we started it. */
function up() {
  if (process.env.MH_TEST_STATE_DIR) {
    const p = paths(process.env.MH_TEST_STATE_DIR);
    if (!fs.existsSync(p.kubeconfig)) {
      throw new Error(
        `MH_TEST_STATE_DIR is set but ${p.kubeconfig} does not exist; start the cluster with scripts/test.sh`,
      );
    }
    return { ...p, started: false };
  }
  const stateDir = path.join(repo, '.local/test-cluster');
  run('up', stateDir);
  process.env.MH_TEST_STATE_DIR = stateDir;
  return { ...paths(stateDir), started: true };
}

function down(started) {
  if (started) run('down', process.env.MH_TEST_STATE_DIR);
}

module.exports = { up, down, paths, name, repo };
