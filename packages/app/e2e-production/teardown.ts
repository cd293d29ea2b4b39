import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { repo } from './setup';

export default async function globalTeardown() {
  const state = process.env.MH_PROD_E2E_STATE;
  if (!state) return;
  const pids = path.join(state, 'pids');
  if (fs.existsSync(pids)) {
    for (const pid of fs
      .readFileSync(pids, 'utf8')
      .split('\n')
      .filter(Boolean)) {
      try {
        // Each backend leads its own process group (spawned detached).
        process.kill(-Number(pid), 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  if (process.env.MH_PROD_E2E_PG_DIR) {
    execFileSync('bash', [
      path.join(repo, 'scripts/postgres.sh'),
      'stop',
      process.env.MH_PROD_E2E_PG_DIR,
    ]);
  }
  const { down } = require('../../integration-tests/testCluster');
  down(process.env.MH_PROD_E2E_STOPS_CLUSTER === '1');
  // Logs and the image stay for a failed run's reader; the image is large.
  fs.rmSync(path.join(state, 'app'), { recursive: true, force: true });
}
