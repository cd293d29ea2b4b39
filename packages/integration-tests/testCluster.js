// One local cluster per test run, shared by the integration tests (jest) and the end-to-end
// tests (playwright). scripts/test.sh starts it once and sets MH_TEST_STATE_DIR; run alone,
// a test layer starts its own and stops it afterwards.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '../..');
// MH_TEST_CLUSTER lets a second run (another checkout, a benchmark) keep its own cluster.
const name = process.env.MH_TEST_CLUSTER || 'mh-test';

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

/**
 * Builds the real Ollama engine and its tiny models unless the cache has them
 * (scripts/engines/ollama.sh; ~/.cache/model-hosting): the pod runner runs it behind the pods of
 * Ollama deployments whose model is a tiny one. Minutes the first time, milliseconds after.
 */
function ensureRealOllama() {
  const script = path.join(repo, 'scripts/engines/ollama.sh');
  const bin = execFileSync(
    'bash',
    [
      '-c',
      '. "$1"; printf %s "$MH_OLLAMA_BIN"',
      'bash',
      path.join(repo, 'scripts/engines/versions.sh'),
    ],
    { encoding: 'utf8' },
  );
  const started = Date.now();
  if (!fs.existsSync(bin)) {
    process.stderr.write(
      `\n[integration tests] building the real Ollama engine for the Ollama pods (bash scripts/engines/ollama.sh env): compiled once from its Go module into ${path.dirname(
        bin,
      )}, about 6-8 minutes on 2 cores the first time\n`,
    );
  }
  try {
    execFileSync('bash', [script, 'env'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: repo,
    });
  } catch (e) {
    throw new Error(
      `scripts/engines/ollama.sh env failed (its output is above): the real-Ollama tests need it. ${e.message}`,
    );
  }
  if (Date.now() - started > 10_000) {
    process.stderr.write(
      `[integration tests] real Ollama ready after ${Math.round(
        (Date.now() - started) / 1000,
      )} s\n`,
    );
  }
}

module.exports = { up, down, paths, name, repo, ensureRealOllama };
