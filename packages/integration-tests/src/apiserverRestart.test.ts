// kube-apiserver goes away mid-run (SIGKILL, as a crash) and comes back: the backend's watch
// caches heal, so every change made while their watches were broken is seen afterwards, and the
// backend writes again without conflicts on stale resourceVersions.
import { execFileSync } from 'child_process';
import path from 'path';
import {
  ModelHosting,
  path as apiPath,
  startModelHosting,
  waitForDeployment,
} from './backend';
import {
  adminKubeConfig,
  createModelDeployment,
  eventually,
  kubectl,
  repo,
  useNamespace,
} from './kube';

/** Stops or starts only the test cluster's kube-apiserver (scripts/cluster/cluster.sh apiserver). */
function apiserver(action: 'stop' | 'start') {
  const stateDir = path.dirname(process.env.MH_TEST_KUBECONFIG!);
  execFileSync(
    'bash',
    [path.join(repo, 'scripts/cluster/cluster.sh'), 'apiserver', action],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        MH_CLUSTER: process.env.MH_TEST_CLUSTER || 'mh-test',
        MH_STATE_DIR: stateDir,
      },
    },
  );
}

const spec = (replicas = 1) => ({
  owner: 'group:default/ml-platform',
  engine: 'http',
  model: { name: 'iris' },
  resources: { cpu: '100m', memory: '128Mi' },
  replicas,
});

describe('a kube-apiserver restart', () => {
  const ns = useNamespace('outage');
  let mh: ModelHosting;
  beforeAll(async () => {
    mh = await startModelHosting();
  });
  afterAll(async () => {
    await mh?.stop();
  });

  const fleet = async () => {
    const res = await mh.api().get('/api/model-hosting/deployments');
    expect(res.status).toBe(200);
    return {
      reachable: res.body.clusters.find((c: any) => c.name === 'local')
        ?.reachable as boolean,
      mine: (res.body.items as any[])
        .filter(d => d.namespace === ns())
        .map(d => d.name)
        .sort(),
    };
  };

  it('sees every change made while its watches were broken, and writes again', async () => {
    for (const name of ['kept', 'scaled', 'deleted'])
      await createModelDeployment(adminKubeConfig(), ns(), {
        apiVersion: 'modelhosting.io/v1alpha1',
        kind: 'ModelDeployment',
        metadata: { name, labels: { before: 'outage' } },
        spec: spec(),
      });
    await eventually(async () =>
      expect((await fleet()).mine).toEqual(['deleted', 'kept', 'scaled']),
    );
    await waitForDeployment(mh, ns(), 'kept', d => d.summary.phase === 'Ready');

    apiserver('stop');
    try {
      // The backend notices: its watches fail and the cluster is reported unreachable.
      await eventually(async () =>
        expect((await fleet()).reachable).toBe(false),
      );
    } finally {
      apiserver('start');
    }
    // Right after the API server is back, before the backend's watches have reconnected (they
    // back off after failing): a create, a delete, a scale and a label change.
    kubectl('-n', ns(), 'scale', 'modeldeployment', 'scaled', '--replicas=2');
    kubectl('-n', ns(), 'delete', 'modeldeployment', 'deleted', '--wait=false');
    kubectl('-n', ns(), 'label', 'modeldeployment', 'kept', 'after=outage');
    await createModelDeployment(adminKubeConfig(), ns(), {
      apiVersion: 'modelhosting.io/v1alpha1',
      kind: 'ModelDeployment',
      metadata: { name: 'created' },
      spec: spec(),
    });

    await eventually(async () => {
      const now = await fleet();
      expect(now).toEqual({
        reachable: true,
        mine: ['created', 'kept', 'scaled'],
      });
    });
    const kept = await waitForDeployment(
      mh,
      ns(),
      'kept',
      d => d.resource.metadata.labels?.after === 'outage',
    );
    expect(kept.resource.metadata.labels.before).toBe('outage');
    // The reconciler acts on what it learned: the new deployment runs, the scaled one has two.
    await waitForDeployment(
      mh,
      ns(),
      'created',
      d => d.summary.phase === 'Ready',
    );
    await waitForDeployment(
      mh,
      ns(),
      'scaled',
      d => d.summary.readyReplicas === 2 && d.resource.spec.replicas === 2,
    );
    // A write through the backend after the outage: no conflict on a stale resourceVersion.
    const res = await mh
      .api()
      .post(apiPath(ns(), 'kept', 'scale'))
      .send({ replicas: 2 });
    expect(res.status).toBe(200);
    await waitForDeployment(
      mh,
      ns(),
      'kept',
      d => d.summary.readyReplicas === 2,
    );
    expect(
      kubectl(
        '-n',
        ns(),
        'get',
        'deployment',
        'kept',
        '-o',
        'jsonpath={.spec.replicas}',
      ),
    ).toBe('2');
  });
});
