import { diff, mergePatch } from './specDiff';

describe('diff and mergePatch', () => {
  const before = {
    replicas: 1,
    autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 3 },
    env: [{ name: 'A', value: '1' }],
  };
  const after = {
    replicas: 2,
    autoscaling: { enabled: false },
    env: [] as unknown[],
  };

  it('lists every changed leaf with both values', () => {
    expect(diff(before, after)).toEqual([
      { path: 'replicas', from: 1, to: 2 },
      { path: 'autoscaling.enabled', from: true, to: false },
      { path: 'autoscaling.minReplicas', from: 1, to: undefined },
      { path: 'autoscaling.maxReplicas', from: 3, to: undefined },
      { path: 'env', from: [{ name: 'A', value: '1' }], to: [] },
    ]);
  });

  it('makes the merge patch that replaces what was given whole', () => {
    expect(mergePatch(before, after)).toEqual({
      replicas: 2,
      autoscaling: { enabled: false, minReplicas: null, maxReplicas: null },
      env: [],
    });
  });
});
