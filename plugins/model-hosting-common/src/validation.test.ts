import {
  validateDeploymentName,
  validateModelDeploymentSpec,
} from './validation';
import { deploymentEntityName, normalizeOwnerRef } from './entityRef';

const spec = {
  owner: 'group:default/ml-platform',
  engine: 'vllm',
  model: { name: 'm' },
};

describe('validateModelDeploymentSpec', () => {
  it('accepts a minimal spec', () => {
    expect(validateModelDeploymentSpec(spec)).toEqual([]);
  });

  it.each([
    [
      { ...spec, engine: 'Tensor Flow' },
      'spec.engine must match pattern "^[a-z][a-z0-9-]*$"',
    ],
    [{ ...spec, replicas: -1 }, 'spec.replicas must be >= 0'],
    [{ ...spec, replicas: 2.5 }, 'spec.replicas must be a whole number'],
    [{ ...spec, replicas: '3' }, 'spec.replicas must be a whole number'],
    [{ ...spec, model: {} }, 'spec.model.name is required'],
    [
      { ...spec, resources: { gpu: { count: 1, resource: 'amd.com/gpu' } } },
      'spec.resources.gpu.resource must match pattern',
    ],
    [{ ...spec, replica: 3 }, "spec has an unknown field 'replica'"],
    [{ engine: 'vllm', model: { name: 'm' } }, 'spec.owner is required'],
    [
      { ...spec, model: { name: 'm', source: 'pvc://weights/../other' } },
      "spec.model.source 'pvc://weights/../other' must be pvc://<claim>/<path inside it>",
    ],
    [
      { ...spec, models: [{ name: 'b', source: 'pvc://Weights' }] },
      "spec.models[0].source 'pvc://Weights' must be",
    ],
  ])('explains %j', (input, message) => {
    expect(validateModelDeploymentSpec(input).join('\n')).toContain(message);
  });
});

describe('names', () => {
  it('refuses names that cannot name a Service', () => {
    expect(validateDeploymentName('chat')).toBeUndefined();
    expect(validateDeploymentName('Chat')).toMatch(/lowercase/);
    expect(validateDeploymentName('x'.repeat(53))).toMatch(/longer than 52/);
  });

  it('makes catalog entity names unique per cluster and namespace and at most 63 characters', () => {
    expect(
      deploymentEntityName({ cluster: 'local', namespace: 'ml', name: 'chat' }),
    ).toBe('local.ml.chat');
    const long = deploymentEntityName({
      cluster: 'a-very-long-cluster-name',
      namespace: 'a-long-namespace-name',
      name: 'x'.repeat(40),
    });
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toEqual(
      deploymentEntityName({
        cluster: 'a-very-long-cluster-name',
        namespace: 'a-long-namespace-name',
        name: 'y'.repeat(40),
      }),
    );
  });

  it('normalizes owners to full entity references', () => {
    expect(normalizeOwnerRef('ml-platform')).toBe('group:default/ml-platform');
    expect(normalizeOwnerRef('user:jane')).toBe('user:default/jane');
    expect(normalizeOwnerRef('group:default/ml-platform')).toBe(
      'group:default/ml-platform',
    );
  });
});
