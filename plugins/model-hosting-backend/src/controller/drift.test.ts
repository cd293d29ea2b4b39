import { firstDrift } from './drift';

describe('firstDrift', () => {
  const desired = {
    metadata: { labels: { a: '1' } },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 's', image: 'vllm:1', ports: [{ containerPort: 8000 }] },
          ],
        },
      },
    },
  };

  it('ignores what the API server adds and what the plan does not set', () => {
    const actual = {
      metadata: { labels: { a: '1', extra: 'x' }, uid: 'u' },
      spec: {
        replicas: 2,
        revisionHistoryLimit: 10,
        template: {
          spec: {
            containers: [
              {
                name: 's',
                image: 'vllm:1',
                imagePullPolicy: 'IfNotPresent',
                ports: [{ containerPort: 8000, protocol: 'TCP' }],
              },
            ],
            dnsPolicy: 'ClusterFirst',
          },
        },
      },
    };
    expect(firstDrift(desired, actual)).toBeUndefined();
  });

  it("does not take an object without its type (a list's item, the cache's copy) for drift", () => {
    const typed = { apiVersion: 'apps/v1', kind: 'Deployment', ...desired };
    expect(firstDrift(typed, desired)).toBeUndefined();
    expect(
      firstDrift(typed, { ...desired, metadata: { labels: { a: '2' } } }),
    ).toBe('metadata.labels.a');
  });

  it('takes an empty list, map or string in the plan for the absent field the API server stores', () => {
    const planned = {
      spec: {
        containers: [
          {
            name: 's',
            args: [],
            env: [{ name: 'A', value: '' }],
            resources: { limits: {} },
          },
        ],
      },
    };
    const stored = {
      spec: { containers: [{ name: 's', env: [{ name: 'A' }] }] },
    };
    expect(firstDrift(planned, stored)).toBeUndefined();
    // An argument added by hand is still drift.
    const edited = {
      spec: { containers: [{ ...stored.spec.containers[0], args: ['--x'] }] },
    };
    expect(firstDrift(planned, edited)).toBe('spec.containers[0].args');
  });

  it('names the first field edited by hand', () => {
    const edited = JSON.parse(JSON.stringify(desired));
    edited.spec.template.spec.containers[0].image = 'busybox';
    expect(firstDrift(desired, edited)).toBe(
      'spec.template.spec.containers[0].image',
    );
    expect(
      firstDrift(desired, {
        ...desired,
        spec: { ...desired.spec, replicas: 5 },
      }),
    ).toBe('spec.replicas');
    const sidecar = JSON.parse(JSON.stringify(desired));
    sidecar.spec.template.spec.containers.push({ name: 'evil', image: 'x' });
    expect(firstDrift(desired, sidecar)).toBe('spec.template.spec.containers');
    expect(firstDrift(desired, { spec: desired.spec, metadata: {} })).toBe(
      'metadata.labels',
    );
  });

  it('compares resource quantities by value, as the API server rewrites them', () => {
    const d = {
      spec: { resources: { requests: { cpu: '0.5', memory: '1024Mi' } } },
    };
    expect(
      firstDrift(d, {
        spec: { resources: { requests: { cpu: '500m', memory: '1Gi' } } },
      }),
    ).toBeUndefined();
    expect(
      firstDrift(d, {
        spec: { resources: { requests: { cpu: '1', memory: '1Gi' } } },
      }),
    ).toBe('spec.resources.requests.cpu');
  });
});
