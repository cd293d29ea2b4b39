import { ANNOTATIONS } from '@modelhosting/backstage-plugin-model-hosting-common';
import { needsPass } from './needsPass';
import { modelDeployment } from './testFixtures';

describe('needsPass', () => {
  const before = modelDeployment();

  it('passes a new or deleted deployment', () => {
    expect(needsPass(before, undefined)).toBe(true);
  });

  it('skips a change of status only (a pass, a health check)', () => {
    const after = modelDeployment(md => {
      md.metadata.resourceVersion = '11';
      md.status = {
        phase: 'Ready',
        readyReplicas: 2,
        conditions: [
          {
            type: 'Healthy',
            status: 'True',
            reason: 'Checked',
            message: 'ok',
            lastTransitionTime: '2026-11-26T10:00:00Z',
          },
        ],
      };
    });
    expect(needsPass(after, before)).toBe(false);
  });

  it.each([
    ['a spec change', (md: any) => (md.metadata.generation = 2)],
    [
      'a restart',
      (md: any) =>
        (md.metadata.annotations = { [ANNOTATIONS.restartedAt]: 'now' }),
    ],
    ['a label', (md: any) => (md.metadata.labels = { team: 'a' })],
    [
      'a deletion',
      (md: any) => (md.metadata.deletionTimestamp = '2026-11-26T10:00:00Z'),
    ],
    ['an owner', (md: any) => (md.metadata.ownerReferences = [{ uid: 'x' }])],
    ['a spec without a new generation', (md: any) => (md.spec.replicas = 3)],
  ])('passes %s', (_what, change) => {
    expect(needsPass(modelDeployment(change), before)).toBe(true);
  });
});
