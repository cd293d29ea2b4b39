// Two replicas of the backend (packages/backend as real child processes, so SIGKILL is a real
// crash) on one test cluster, sharing one PostgreSQL database as k8s/deploy runs them. The
// leader (the Lease holder) is killed in the middle of a model switch and in the middle of a scale
// from zero; the other takes over, finishes the work and answers the request it holds, and a
// deployment is never scaled back to zero while a request for it is held on either replica.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1Lease,
} from '@kubernetes/client-node';
import { testAppConfig } from './backend';
import {
  adminKubeConfig,
  createModelDeployment,
  eventually,
  kubectl,
  repo,
  useGpuNode,
  useNamespace,
} from './kube';

const LEASE_SECONDS = 6;
// The CRD's shortest idle time before scale to zero.
const SCALE_TO_ZERO_SECONDS = 30;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** One backend replica: packages/backend in a process of its own, with the shared database. */
class Replica {
  private token?: string;
  identity?: string;
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly log: string,
  ) {}

  static async start(name: string, database: object, stateDir: string) {
    const port = await freePort();
    const url = `http://localhost:${port}`;
    const overlay = path.join(stateDir, `${name}.app-config.json`);
    // JSON is YAML. The test cluster's entry (the backend's ServiceAccount), the production sign-in,
    // short leases so the test is quick.
    fs.writeFileSync(
      overlay,
      JSON.stringify({
        app: { baseUrl: url, disableConfigInjection: true },
        backend: {
          baseUrl: url,
          listen: { host: '127.0.0.1', port },
          cors: { origin: url },
          database,
        },
        auth: {
          providers: {
            oauth2Proxy: {
              signIn: {
                resolvers: [
                  { resolver: 'forwardedUserMatchingUserEntityName' },
                ],
              },
            },
          },
        },
        kubernetes: testAppConfig().kubernetes,
        modelHosting: {
          reconciler: { leaseDurationSeconds: LEASE_SECONDS },
          health: { enabled: false },
          autoscaler: { tickSeconds: 1, windowSeconds: 2 },
          gateway: { maxWaitSeconds: 240, requestTimeoutSeconds: 10 },
        },
      }),
    );
    const log = path.join(stateDir, `${name}.log`);
    const out = fs.openSync(log, 'a');
    // What `backstage-cli package start` runs, without its file watcher.
    const child = spawn(
      process.execPath,
      [
        '--require',
        path.join(
          repo,
          'node_modules/@backstage/cli-node/config/nodeTransform.cjs',
        ),
        'src/index',
        '--config',
        path.join(repo, 'app-config.yaml'),
        '--config',
        overlay,
      ],
      {
        cwd: path.join(repo, 'packages/backend'),
        env: { ...process.env, NODE_ENV: 'development' },
        stdio: ['ignore', out, out],
      },
    );
    const replica = new Replica(child, url, log);
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null)
            throw new Error(`${name} exited; log: ${log}`);
          await replica.signIn();
          const stats = await replica.get('/api/model-hosting/stats');
          if (stats.status !== 200) throw new Error(`stats: ${stats.status}`);
          replica.identity = stats.body.identity;
        },
        180_000,
        1000,
      );
    } catch (e) {
      await replica.stop();
      throw e;
    }
    return replica;
  }

  /** Signs alice in as oauth2-proxy would pass her on (the catalog must know her first). */
  async signIn() {
    const res = await request(this.url)
      .get('/api/auth/oauth2Proxy/refresh')
      .set('X-Forwarded-User', 'alice');
    if (res.status !== 200)
      throw new Error(`sign-in: ${res.status} ${res.text.slice(0, 200)}`);
    this.token = res.body.backstageIdentity.token;
  }

  get(p: string) {
    return request(this.url)
      .get(p)
      .set('Authorization', `Bearer ${this.token}`);
  }

  post(p: string, body: object) {
    return request(this.url)
      .post(p)
      .set('Authorization', `Bearer ${this.token}`)
      .send(body);
  }

  /** A crash: no shutdown hook runs, the Lease is not handed over. */
  async kill() {
    const exited = new Promise(r => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** As Kubernetes stops a pod: SIGTERM, and SIGKILL after a grace period. */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode) return;
    const exited = new Promise(r => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const grace = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(grace);
  }
}

const readLease = () =>
  adminKubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({
    namespace: 'model-hosting',
    name: 'model-hosting-reconciler',
  });
const time = (t: unknown) => new Date(t as string).getTime();

/** The replica holding the reconciler Lease. */
async function leaderOf(replicas: Replica[]) {
  return eventually(async () => {
    const lease = await readLease();
    const leader = replicas.find(
      r => r.identity === lease.spec?.holderIdentity,
    );
    if (!leader) throw new Error(`held by ${lease.spec?.holderIdentity}`);
    return leader;
  }, 60_000);
}

/**
 * Kills the leader and waits for `next` to hold the Lease. Takeover is checked on the Lease's own
 * times: the new holder acquired it within the Lease's duration after the dead leader's last
 * renewal, give or take one look of a follower (a third of the duration).
 */
async function killLeader(leader: Replica, next: Replica) {
  const before: V1Lease = await readLease();
  await leader.kill();
  // The dead leader's last renewal: nothing renews the Lease after the kill.
  const after = await readLease();
  const lastRenewal = time(
    (after.spec?.holderIdentity === leader.identity ? after : before).spec!
      .renewTime,
  );
  const lease = await eventually(async () => {
    const l = await readLease();
    if (l.spec?.holderIdentity !== next.identity)
      throw new Error(`held by ${l.spec?.holderIdentity}`);
    return l;
  }, 60_000);
  expect(time(lease.spec!.acquireTime) - lastRenewal).toBeLessThanOrEqual(
    (LEASE_SECONDS + LEASE_SECONDS / 3) * 1000,
  );
  expect(lease.spec!.leaseTransitions).toBe(
    (before.spec!.leaseTransitions ?? 0) + 1,
  );
}

/** A GPU node's product label off (new pods cannot be placed) or back on. */
const setProduct = (node: string, product: string | null) =>
  adminKubeConfig()
    .makeApiClient(CoreV1Api)
    .patchNode(
      {
        name: node,
        body: [
          {
            op: product ? 'add' : 'remove',
            path: '/metadata/labels/nvidia.com~1gpu.product',
            ...(product ? { value: product } : {}),
          },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );

describe('two backend replicas sharing PostgreSQL', () => {
  const ns = useNamespace('replicas');
  const switchNode = useGpuNode('gpu-replicas-switch', 'nvidia.com/gpu', 1);
  const wakeNode = useGpuNode('gpu-replicas-wake', 'nvidia.com/gpu', 1);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-replicas-'));
  let pgDir: string | undefined;
  let database: object;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    // The suite's PostgreSQL (scripts/test.sh), or one of this file's own.
    let url = process.env.MH_TEST_PG_URL;
    if (!url) {
      pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-pg-'));
      url = execFileSync(
        'bash',
        [path.join(repo, 'scripts/postgres.sh'), 'start', pgDir],
        { encoding: 'utf8' },
      )
        .trim()
        .replace(/^export MH_TEST_PG_URL=/, '');
    }
    database = {
      client: 'pg',
      connection: url,
      prefix: `mh_replicas_${randomUUID().slice(0, 8)}_`,
    };
    // One after the other, as k8s/deploy's startupProbe ends up doing on a new database: two
    // Backstage backends migrating one empty database at once fail with MigrationLocked.
    replicas.push(await Replica.start('replica-0', database, stateDir));
    replicas.push(await Replica.start('replica-1', database, stateDir));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(replicas.map(r => r.stop()));
    if (pgDir)
      execFileSync('bash', [
        path.join(repo, 'scripts/postgres.sh'),
        'stop',
        pgDir,
      ]);
  }, 60_000);

  const detail = async (replica: Replica, name: string) => {
    const res = await replica.get(
      `/api/model-hosting/deployments/local/${ns()}/${name}`,
    );
    if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
    return res.body;
  };
  const chat = (replica: Replica, model: string) =>
    replica.post('/api/model-hosting/v1/chat/completions', {
      model: `${ns()}/${model}`,
      messages: [{ role: 'user', content: 'Say OK.' }],
    });

  it('finishes a switch whose leader was killed in the middle, and answers the request that asked for it', async () => {
    await createModelDeployment(adminKubeConfig(), ns(), {
      apiVersion: 'modelhosting.io/v1alpha1',
      kind: 'ModelDeployment',
      metadata: { name: 'pool' },
      spec: {
        owner: 'group:default/ml-platform',
        engine: 'vllm',
        model: { name: 'model-a' },
        models: [{ name: 'model-a' }, { name: 'model-b' }],
        switching: { strategy: 'recreate', minResidencySeconds: 0 },
        resources: { gpu: { count: 1, product: switchNode.product } },
        replicas: 1,
      },
    });
    const leader = await leaderOf(replicas);
    const follower = replicas.find(r => r !== leader)!;
    await eventually(async () => {
      const d = await detail(follower, 'pool');
      expect(d.summary.phase).toBe('Ready');
    }, 60_000);

    // The new model's pod cannot be placed until the label is back: the switch stops half-way.
    await setProduct('gpu-replicas-switch', null);
    // The request for model-b arrives at the follower, which asks for the switch and holds it.
    const held = chat(follower, 'model-b').then(res => res);
    await eventually(async () => {
      const d = await detail(follower, 'pool');
      expect(d.resource.status?.switch).toMatchObject({
        to: 'model-b',
        step: 'Starting',
      });
      expect(d.pods.map((p: any) => p.node ?? null)).toEqual([null]);
    }, 60_000);

    await killLeader(leader, follower);
    replicas.splice(replicas.indexOf(leader), 1);
    await setProduct('gpu-replicas-switch', switchNode.product);

    const res = await held;
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toBe('OK.');
    const done = await detail(follower, 'pool');
    expect(done.summary.activeModel).toBe('model-b');
    expect(done.resource.status.lastSwitch).toMatchObject({
      from: 'model-a',
      to: 'model-b',
      trigger: 'request',
    });
    expect(done.resource.status.switch).toBeUndefined();
  }, 300_000);

  it('keeps a deployment woken by one replica up while the request is held there, across the death of the leader', async () => {
    // The killed replica comes back, as its pod would: it follows.
    replicas.push(await Replica.start('replica-2', database, stateDir));
    await createModelDeployment(adminKubeConfig(), ns(), {
      apiVersion: 'modelhosting.io/v1alpha1',
      kind: 'ModelDeployment',
      metadata: { name: 'sleeper' },
      spec: {
        owner: 'group:default/ml-platform',
        engine: 'vllm',
        model: { name: 'sleepy' },
        resources: { gpu: { count: 1, product: wakeNode.product } },
        replicas: 0,
        autoscaling: {
          enabled: true,
          minReplicas: 0,
          maxReplicas: 1,
          metrics: [{ type: 'requestsInFlight', target: 10 }],
          scaleToZeroAfterSeconds: SCALE_TO_ZERO_SECONDS,
        },
      },
    });
    const leader = await leaderOf(replicas);
    const follower = replicas.find(r => r !== leader)!;
    await eventually(async () => {
      const d = await detail(follower, 'sleeper');
      expect(d.summary.phase).toBe('ScaledToZero');
    }, 60_000);

    // Every spec.replicas the deployment has from the wake-up until the answer.
    const seen: number[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        seen.push(
          Number(
            kubectl(
              'get',
              'md',
              'sleeper',
              '-n',
              ns(),
              '-o',
              'jsonpath={.spec.replicas}',
            ),
          ),
        );
        await sleep(250);
      }
    })();

    // Its pod cannot start yet: the request stays held on the follower while the leader, which
    // runs the autoscaler, sees it only through the database.
    await setProduct('gpu-replicas-wake', null);
    const held = chat(follower, 'sleepy').then(res => res);
    await eventually(async () => expect(seen.at(-1)).toBe(1), 30_000);
    const wokenAt = seen.length - 1;
    // Longer than the idle time to zero and the autoscaler's window, with the leader's autoscaler
    // running every second.
    await sleep((SCALE_TO_ZERO_SECONDS + 5) * 1000);
    await killLeader(leader, follower);
    replicas.splice(replicas.indexOf(leader), 1);
    // The follower now leads and runs the autoscaler itself, with the request still held.
    await sleep((SCALE_TO_ZERO_SECONDS + 5) * 1000);
    await setProduct('gpu-replicas-wake', wakeNode.product);

    const res = await held;
    watching = false;
    await watch;
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toBe('OK.');
    expect(seen.slice(wokenAt).every(r => r === 1)).toBe(true);
    // Idle again, the new leader does scale it to zero: the autoscaler was running all along.
    await eventually(async () => {
      const d = await detail(follower, 'sleeper');
      expect(d.summary.phase).toBe('ScaledToZero');
    }, 60_000);
  }, 420_000);
});
