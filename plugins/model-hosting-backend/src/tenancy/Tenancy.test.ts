import { ConfigReader } from '@backstage/config';
import { readModelHostingConfig } from '../config';
import { modelDeployment } from '../controller/testFixtures';
import { EngineRegistry } from '../engines';
import { imageAllowed, imageRepository } from './guardrails';
import { Tenancy } from './Tenancy';

const config = readModelHostingConfig(
  new ConfigReader({
    modelHosting: {
      tenancy: {
        namespaces: [
          { namespace: 'shared', owners: ['group:default/data-science'] },
        ],
        quotas: {
          default: { deployments: 2, gpus: { 'nvidia.com/gpu': 4 } },
          owners: [{ owner: 'group:default/big', deployments: 10 }],
        },
      },
      guardrails: { secretRefs: [{ name: 'hf-token' }] },
    },
  }),
);
const tenancy = new Tenancy(
  config.tenancy,
  config.guardrails,
  new EngineRegistry(),
  'model-hosting',
);
const opened = (
  name: string,
  owners: string,
  extra: Record<string, string> = {},
) => ({
  metadata: {
    name,
    annotations: { 'modelhosting.io/owners': owners, ...extra },
  },
});
const ml = opened('ml', 'group:default/ml-platform');
const rules = (md = modelDeployment(), ns: any = ml) =>
  tenancy.violations('local', md, ns).map(v => v.rule);

describe('Tenancy', () => {
  it('lets an owner deploy a plain engine image into a namespace opened to it', () => {
    expect(rules()).toEqual([]);
  });

  it('never opens system namespaces or the backend own, and names who a namespace is opened to', () => {
    const v = (
      ns: string,
      md = modelDeployment(m => (m.metadata.namespace = ns)),
    ) =>
      tenancy.namespaceViolation(
        'local',
        ns,
        opened(ns, 'group:default/ml-platform'),
        md.spec.owner,
      );
    expect(v('kube-system')?.message).toContain('system namespace');
    expect(v('model-hosting')?.message).toContain('system namespace');
    expect(
      tenancy.namespaceViolation(
        'local',
        'ml',
        opened('ml', 'group:default/data-science'),
        'ml-platform',
      )?.message,
    ).toBe(
      'namespace ml on cluster local is not opened to group:default/ml-platform (opened to group:default/data-science)',
    );
    expect(
      tenancy.namespaceViolation(
        'local',
        'shared',
        { metadata: { name: 'shared' } },
        'data-science',
      ),
    ).toBeUndefined();
  });

  it('refuses another image, commands as args, keyless tolerations, foreign node labels and secrets', () => {
    const md = modelDeployment(m => {
      m.spec.image = 'busybox';
      m.spec.engineArgs = ['sh', '-c', 'cat /etc/shadow'];
      m.spec.tolerations = [{ operator: 'Exists' }];
      m.spec.nodeSelector = { 'kubernetes.io/hostname': 'control-plane' };
      m.spec.env = [
        {
          name: 'T',
          valueFrom: { secretKeyRef: { name: 'cluster-admin', key: 'token' } },
        },
      ];
    });
    expect(rules(md)).toEqual([
      'images',
      'engineArgs',
      'secretRefs',
      'tolerations',
      'nodeSelector',
    ]);
  });

  it('allows what the admins allowed: listed secrets, annotated ones, image patterns', () => {
    const md = modelDeployment(m => {
      m.spec.env = [
        {
          name: 'HF_TOKEN',
          valueFrom: { secretKeyRef: { name: 'hf-token', key: 't' } },
        },
        { name: 'S3', valueFrom: { secretKeyRef: { name: 's3', key: 'k' } } },
      ];
      m.spec.engineArgs = ['--max-model-len', '4096'];
    });
    expect(
      rules(
        md,
        opened('ml', 'group:default/ml-platform', {
          'modelhosting.io/allowed-secrets': 's3, other',
        }),
      ),
    ).toEqual([]);
    expect(
      rules(
        modelDeployment(m => (m.spec.engineArgs = ['--trust-remote-code'])),
      ),
    ).toEqual(['engineArgs']);
    expect(imageRepository('ghcr.io/org/img:1.2@sha256:abc')).toBe(
      'ghcr.io/org/img',
    );
    expect(imageRepository('localhost:5000/img')).toBe('localhost:5000/img');
    expect(
      imageAllowed('registry.corp/vllm/vllm-openai:v1', ['registry.corp/*']),
    ).toBe(true);
    expect(imageAllowed('vllm/vllm-openai-evil:v1', ['vllm/vllm-openai'])).toBe(
      false,
    );
  });

  it('counts deployments and GPUs per owner at the most replicas each may run', () => {
    const gpus = (n: number, replicas = 1) =>
      modelDeployment(m => {
        m.spec.resources = { gpu: { count: n } };
        m.spec.replicas = replicas;
      });
    expect(tenancy.quotaViolation(gpus(1), [gpus(1)])).toBeUndefined();
    expect(tenancy.quotaViolation(gpus(1), [gpus(1), gpus(1)])?.message).toBe(
      'group:default/ml-platform may run at most 2 deployments; this would be 3',
    );
    expect(tenancy.quotaViolation(gpus(2, 2), [gpus(1)])?.message).toContain(
      'may hold at most 4 nvidia.com/gpu; this would be 5',
    );
    const big = modelDeployment(m => (m.spec.owner = 'group:default/big'));
    expect(tenancy.quotaViolation(big, [big, big, big])).toBeUndefined();
  });
});
