import {
  Link,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import {
  DeploymentSummary,
  FleetSortKey,
  gpuText,
  NOT_RECONCILED,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { ReactNode } from 'react';
import { bytesText } from '../storageText';

export const PhaseStatus = ({
  phase,
}: {
  phase?: DeploymentSummary['phase'];
}) => {
  switch (phase) {
    case 'Ready':
      return <StatusOK>Ready</StatusOK>;
    case 'Failed':
      return <StatusError>Failed</StatusError>;
    case 'Degraded':
    case 'Pending':
      return <StatusWarning>{phase}</StatusWarning>;
    case undefined:
      return <StatusPending>{NOT_RECONCILED}</StatusPending>;
    default:
      return <StatusPending>{phase}</StatusPending>;
  }
};

export const deploymentPath = (d: {
  cluster: string;
  namespace: string;
  name: string;
}) =>
  `deployments/${encodeURIComponent(d.cluster)}/${encodeURIComponent(
    d.namespace,
  )}/${encodeURIComponent(d.name)}`;

const health = {
  healthy: 'Healthy',
  unhealthy: 'Unhealthy',
  unknown: '—',
} as const;

/** A column: its header, the server's sort key for it, and its cell. */
export interface Column {
  title: string;
  sort: FleetSortKey;
  cell: (d: DeploymentSummary) => ReactNode;
  /** Short values that read badly broken over lines. */
  nowrap?: boolean;
}

export const columns: Column[] = [
  {
    title: 'Name',
    sort: 'name',
    nowrap: true,
    cell: d => (
      <Link to={deploymentPath(d)}>
        <strong>{d.name}</strong>
      </Link>
    ),
  },
  {
    title: 'Cluster / namespace',
    sort: 'cluster',
    cell: d => `${d.cluster} / ${d.namespace}`,
  },
  { title: 'Engine', sort: 'engine', cell: d => d.engine },
  { title: 'Model', sort: 'model', cell: d => d.activeModel ?? d.model },
  {
    title: 'Phase',
    sort: 'phase',
    cell: d => <PhaseStatus phase={d.phase} />,
    nowrap: true,
  },
  {
    title: 'Ready / desired',
    sort: 'readyReplicas',
    cell: d => `${d.readyReplicas} / ${d.replicas}`,
  },
  { title: 'GPUs', sort: 'gpus', cell: gpuText },
  { title: 'Cache', sort: 'cacheBytes', cell: d => bytesText(d.cacheBytes) },
  { title: 'Owner', sort: 'owner', cell: d => d.owner },
  {
    title: 'Health',
    sort: 'health',
    cell: d => health[d.health ?? 'unknown'],
  },
];
