import { execFileSync } from 'child_process';
import path from 'path';

const repo = path.resolve(__dirname, '../../..');
const bin = execFileSync(
  'bash',
  ['-c', `. ${repo}/scripts/cluster/versions.sh && echo $K8S_BIN`],
  { encoding: 'utf8' },
).trim();

/** kubectl against the end-to-end cluster, to check that what the UI shows is what the cluster has. */
export function kubectl(...args: string[]): string {
  const kubeconfig = path.join(
    process.env.MH_TEST_STATE_DIR ?? path.join(repo, '.local/test-cluster'),
    `${process.env.MH_TEST_CLUSTER ?? 'mh-test'}.kubeconfig`,
  );
  return execFileSync(
    path.join(bin, 'kubectl'),
    ['--kubeconfig', kubeconfig, ...args],
    { encoding: 'utf8' },
  );
}
