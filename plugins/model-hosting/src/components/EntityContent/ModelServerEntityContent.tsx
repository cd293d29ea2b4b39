import {
  InfoCard,
  MissingAnnotationEmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import { DeploymentRef } from '@modelhosting/backstage-plugin-model-hosting-common';
import { modelHostingApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { DeploymentView, StatusCard } from '../DeploymentView';

const ANNOTATIONS = [
  'modelhosting.io/cluster',
  'modelhosting.io/namespace',
  'modelhosting.io/name',
];

/** Where the entity's ModelDeployment lives, from the annotations the catalog provider writes. */
export function deploymentRefOf(entity: Entity): DeploymentRef | undefined {
  const a = entity.metadata.annotations ?? {};
  const [cluster, namespace, name] = ANNOTATIONS.map(k => a[k]);
  return cluster && namespace && name
    ? { cluster, namespace, name }
    : undefined;
}

/** True for model-server Components the model-hosting catalog module produced. */
export const isModelServer = (entity: Entity) => !!deploymentRefOf(entity);

/** The "Model server" tab of a model-server entity. */
export const ModelServerEntityContent = () => {
  const { entity } = useEntity();
  const ref = deploymentRefOf(entity);
  if (!ref) return <MissingAnnotationEmptyState annotation={ANNOTATIONS} />;
  return <DeploymentView deploymentRef={ref} />;
};

/** A status card for the entity's overview. */
export const ModelServerStatusCard = () => {
  const { entity } = useEntity();
  const ref = deploymentRefOf(entity);
  const api = useApi(modelHostingApiRef);
  const { value, error, loading } = usePolling(
    () =>
      ref
        ? api.getDeployment(ref)
        : Promise.reject(new Error('not a model server')),
    [api, ref?.cluster, ref?.namespace, ref?.name],
    5000,
  );
  if (!ref) return <MissingAnnotationEmptyState annotation={ANNOTATIONS} />;
  if (loading && !value)
    return (
      <InfoCard title="Status">
        <Progress />
      </InfoCard>
    );
  if (error && !value) return <ResponseErrorPanel error={error} />;
  return value ? <StatusCard detail={value} /> : null;
};
