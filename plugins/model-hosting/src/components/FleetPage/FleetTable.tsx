import { StatusError, StatusOK, StatusPending, StatusWarning, Table, TableColumn } from '@backstage/core-components';
import { DeploymentSummary } from '@internal/backstage-plugin-model-hosting-common';

const PhaseStatus = ({ phase }: { phase?: DeploymentSummary['phase'] }) => {
  switch (phase) {
    case 'Ready':
      return <StatusOK>Ready</StatusOK>;
    case 'Failed':
      return <StatusError>Failed</StatusError>;
    case 'Degraded':
      return <StatusWarning>Degraded</StatusWarning>;
    case undefined:
      return <StatusPending>Not reconciled</StatusPending>;
    default:
      return <StatusPending>{phase}</StatusPending>;
  }
};

function gpuText({ gpu }: DeploymentSummary): string {
  if (gpu.count === 0) return 'CPU only';
  const kind = gpu.resource === 'nvidia.com/gpu' ? gpu.product ?? 'GPU' : gpu.resource.replace('nvidia.com/', '');
  return `${gpu.count} × ${kind}`;
}

const columns: TableColumn<DeploymentSummary>[] = [
  { title: 'Name', field: 'name', highlight: true },
  { title: 'Cluster / namespace', render: d => `${d.cluster} / ${d.namespace}`, customFilterAndSearch: (q, d) => `${d.cluster}/${d.namespace}`.includes(q) },
  { title: 'Engine', field: 'engine' },
  { title: 'Model', render: d => d.activeModel ?? d.model, customFilterAndSearch: (q, d) => (d.activeModel ?? d.model).includes(q) },
  { title: 'Phase', field: 'phase', render: d => <PhaseStatus phase={d.phase} /> },
  { title: 'Ready / desired', render: d => `${d.readyReplicas} / ${d.replicas}`, searchable: false },
  { title: 'GPUs', render: gpuText, customFilterAndSearch: (q, d) => gpuText(d).includes(q) },
  { title: 'Owner', field: 'owner' },
];

export const FleetTable = ({ items }: { items: DeploymentSummary[] }) => (
  <Table<DeploymentSummary>
    title={`Model servers (${items.length})`}
    options={{ paging: items.length > 50, pageSize: 50, search: true, padding: 'dense' }}
    columns={columns}
    data={items}
  />
);
