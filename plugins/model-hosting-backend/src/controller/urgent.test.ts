import { V1Deployment } from '@kubernetes/client-node';
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';
import { isEdit, replicasChanged } from './urgent';

const md = (generation: number) =>
  ({ metadata: { name: 'm', generation } } as ModelDeployment);
const deployment = (replicas?: number, readyReplicas?: number): V1Deployment =>
  ({
    metadata: { name: 'm' },
    status: replicas === undefined ? undefined : { replicas, readyReplicas },
  } as V1Deployment);

describe('urgent changes', () => {
  it('a new generation of an existing ModelDeployment is an edit; a new one or a status write is not', () => {
    expect(isEdit(md(2), md(1))).toBe(true);
    expect(isEdit(md(1), undefined)).toBe(false);
    expect(isEdit(md(1), md(1))).toBe(false);
  });

  it('a Deployment whose replicas became ready (or went away) is urgent; other updates and first sightings are not', () => {
    expect(replicasChanged(deployment(1, 1), deployment(1))).toBe(true);
    expect(replicasChanged(deployment(1, 0), deployment(1, 1))).toBe(true);
    expect(replicasChanged(deployment(0), deployment(1, 1))).toBe(true);
    expect(replicasChanged(deployment(1, 1), deployment(1, 1))).toBe(false);
    expect(replicasChanged(deployment(1), deployment())).toBe(true);
    expect(replicasChanged(deployment(), deployment())).toBe(false);
    expect(replicasChanged(deployment(1, 1), undefined)).toBe(false);
  });
});
