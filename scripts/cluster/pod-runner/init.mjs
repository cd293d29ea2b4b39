// Init containers, run as a kubelet runs them before a pod's server: one after the other, each to
// completion. The model loader (an init container named model-loader) runs as a local process:
// packages/model-loader with the container's resolved environment, inside the cluster's network
// namespace (it reaches what pods reach: the host end of the veth pair, not the internet), its
// paths under the pod's volumes translated to their directories, its termination message read
// from the file it writes. Other init containers have nothing to run here and complete at once.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const LOADER = 'model-loader';
/** Kubernetes keeps at most this much of a termination message. */
const MESSAGE_MAX = 4096;

/**
 * Runs one init container. Resolves {exitCode, reason, message, startedAt, finishedAt, log}.
 * `env` is resolved and translated; `mounts` are the container's [{mountPath, dir}].
 */
export function runInitContainer({
  repo,
  netns,
  pod,
  container,
  env,
  mounts,
  workDir,
  logPath,
  onChild = () => {},
}) {
  const startedAt = new Date().toISOString();
  if (container.name !== LOADER) {
    return Promise.resolve({
      exitCode: 0,
      reason: 'Completed',
      message: `not run locally (the pod runner runs only ${LOADER})`,
      startedAt,
      finishedAt: startedAt,
    });
  }
  fs.mkdirSync(workDir, { recursive: true });
  const terminationLog = path.join(
    workDir,
    `${container.name}.termination-log`,
  );
  fs.rmSync(terminationLog, { force: true });
  // Claims for pvc:// sources are mounted at /sources/<claim>: a directory of links stands for /sources.
  const sources = mounts.filter(m => m.mountPath.startsWith('/sources/'));
  const extra = {};
  if (sources.length) {
    const dir = path.join(workDir, 'sources');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const m of sources) {
      const rel = m.mountPath.slice('/sources/'.length);
      if (!rel || rel.includes('/')) continue;
      fs.symlinkSync(m.dir, path.join(dir, rel));
    }
    extra.MODEL_SOURCES_DIR = dir;
  }
  const cacheMount = mounts.find(m => m.mountPath === '/models');
  if (!env.MODEL_CACHE_DIR && cacheMount)
    extra.MODEL_CACHE_DIR = cacheMount.dir;
  const childEnv = {
    PATH: process.env.PATH,
    HOME: workDir,
    ...env,
    ...extra,
    TERMINATION_LOG: terminationLog,
  };
  const main = path.join(repo, 'packages/model-loader/src/main.js');
  const fd = fs.openSync(logPath, 'a');
  fs.writeSync(
    fd,
    `${startedAt} ${pod.metadata.namespace}/${pod.metadata.name} init container ${container.name}\n`,
  );
  return new Promise(resolve => {
    const child = spawn(
      'ip',
      ['netns', 'exec', netns, process.execPath, main],
      { env: childEnv, stdio: ['ignore', fd, fd] },
    );
    fs.closeSync(fd);
    onChild(child);
    const finish = (exitCode, signal) => {
      let message = '';
      try {
        message = fs.readFileSync(terminationLog, 'utf8').slice(0, MESSAGE_MAX);
      } catch {
        // none written
      }
      if (
        !message &&
        exitCode !== 0 &&
        container.terminationMessagePolicy === 'FallbackToLogsOnError'
      ) {
        try {
          message = fs
            .readFileSync(logPath, 'utf8')
            .split('\n')
            .slice(-80)
            .join('\n')
            .slice(-MESSAGE_MAX);
        } catch {
          // no log
        }
      }
      resolve({
        exitCode: exitCode ?? 137,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        message: message || (signal ? `killed (${signal})` : ''),
        startedAt,
        finishedAt: new Date().toISOString(),
      });
    };
    child.on('error', err => {
      fs.writeFileSync(
        terminationLog,
        `cannot start the model loader: ${err.message}`,
      );
      finish(128, null);
    });
    child.on('exit', finish);
  });
}
