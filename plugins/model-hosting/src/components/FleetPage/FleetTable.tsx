import {
  Link,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { DeploymentSummary } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  Box,
  FormControl,
  InputLabel,
  MenuItem,
  Select,
} from '@material-ui/core';
import { useMemo, useState } from 'react';
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
      return <StatusPending>Not reconciled</StatusPending>;
    default:
      return <StatusPending>{phase}</StatusPending>;
  }
};

export function gpuText({ gpu }: DeploymentSummary): string {
  if (gpu.count === 0) return 'CPU only';
  const kind =
    gpu.resource === 'nvidia.com/gpu'
      ? gpu.product ?? 'GPU'
      : gpu.resource.replace('nvidia.com/', '');
  return `${gpu.count} × ${kind}`;
}

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

const columns: TableColumn<DeploymentSummary>[] = [
  {
    title: 'Name',
    field: 'name',
    highlight: true,
    render: d => <Link to={deploymentPath(d)}>{d.name}</Link>,
  },
  {
    title: 'Cluster / namespace',
    field: 'cluster',
    render: d => `${d.cluster} / ${d.namespace}`,
    customFilterAndSearch: (q, d) => `${d.cluster}/${d.namespace}`.includes(q),
  },
  { title: 'Engine', field: 'engine' },
  {
    title: 'Model',
    field: 'model',
    render: d => d.activeModel ?? d.model,
    customFilterAndSearch: (q, d) =>
      (d.activeModel ?? d.model).toLowerCase().includes(q.toLowerCase()),
  },
  {
    title: 'Phase',
    field: 'phase',
    render: d => <PhaseStatus phase={d.phase} />,
  },
  {
    title: 'Ready / desired',
    field: 'readyReplicas',
    render: d => `${d.readyReplicas} / ${d.replicas}`,
    searchable: false,
  },
  {
    title: 'GPUs',
    render: gpuText,
    customSort: (a, b) => a.gpu.count - b.gpu.count,
    customFilterAndSearch: (q, d) =>
      gpuText(d).toLowerCase().includes(q.toLowerCase()),
  },
  {
    title: 'Cache',
    field: 'cacheBytes',
    render: d => bytesText(d.cacheBytes),
    searchable: false,
  },
  { title: 'Owner', field: 'owner' },
  {
    title: 'Health',
    field: 'health',
    render: d => health[d.health ?? 'unknown'],
  },
];

type Filters = {
  cluster: string;
  engine: string;
  model: string;
  phase: string;
  owner: string;
};

/** The models a row stands for: the one running and the one asked for, when they differ. */
const modelsOf = (d: DeploymentSummary) =>
  d.activeModel && d.activeModel !== d.model
    ? [d.activeModel, d.model]
    : [d.model];
const ALL = '';
const PAGE_SIZE = 20;

function FilterSelect({
  label,
  value,
  options,
  onChange,
  minWidth = 160,
}: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
  minWidth?: number;
}) {
  const id = `model-hosting-filter-${label.toLowerCase()}`;
  return (
    <FormControl variant="outlined" size="small" style={{ minWidth }}>
      <InputLabel id={id}>{label}</InputLabel>
      <Select
        labelId={id}
        label={label}
        value={value}
        onChange={e => onChange(e.target.value as string)}
      >
        <MenuItem value={ALL}>All</MenuItem>
        {options.map(o => (
          <MenuItem key={o} value={o}>
            {o}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}

/** The fleet table with filters; filters and sort live here, so refreshed data keeps them. */
export const FleetTable = ({ items }: { items: DeploymentSummary[] }) => {
  const [filters, setFilters] = useState<Filters>({
    cluster: ALL,
    engine: ALL,
    model: ALL,
    phase: ALL,
    owner: ALL,
  });
  const options = useMemo(() => {
    const values = (f: (d: DeploymentSummary) => string | undefined) =>
      [...new Set(items.map(f).filter(Boolean) as string[])].sort();
    return {
      cluster: values(d => d.cluster),
      engine: values(d => d.engine),
      model: [...new Set(items.flatMap(modelsOf))].sort(),
      phase: values(d => d.phase ?? 'Not reconciled'),
      owner: values(d => d.owner),
    };
  }, [items]);
  const shown = useMemo(
    () =>
      items.filter(
        d =>
          (!filters.cluster || d.cluster === filters.cluster) &&
          (!filters.engine || d.engine === filters.engine) &&
          (!filters.model || modelsOf(d).includes(filters.model)) &&
          (!filters.phase || (d.phase ?? 'Not reconciled') === filters.phase) &&
          (!filters.owner || d.owner === filters.owner),
      ),
    [items, filters],
  );
  const set = (key: keyof Filters) => (value: string) =>
    setFilters(f => ({ ...f, [key]: value }));
  return (
    <>
      <Box
        display="flex"
        flexWrap="wrap"
        style={{ gap: 16 }}
        mb={2}
        role="group"
        aria-label="Filters"
      >
        <FilterSelect
          label="Cluster"
          value={filters.cluster}
          options={options.cluster}
          onChange={set('cluster')}
        />
        <FilterSelect
          label="Engine"
          value={filters.engine}
          options={options.engine}
          onChange={set('engine')}
        />
        <FilterSelect
          label="Model"
          value={filters.model}
          options={options.model}
          onChange={set('model')}
          minWidth={240}
        />
        <FilterSelect
          label="Phase"
          value={filters.phase}
          options={options.phase}
          onChange={set('phase')}
        />
        <FilterSelect
          label="Owner"
          value={filters.owner}
          options={options.owner}
          onChange={set('owner')}
        />
      </Box>
      <Table<DeploymentSummary>
        title={`Model servers (${shown.length})`}
        options={{
          // A screenful, as Backstage's catalog table: rendering the rows is most of the time
          // from the fleet's answer to the first rows (50 rows: ~300 ms of a 1 s first view).
          paging: shown.length > PAGE_SIZE,
          pageSize: PAGE_SIZE,
          pageSizeOptions: [PAGE_SIZE, 50, 100, 500],
          search: true,
          padding: 'dense',
        }}
        columns={columns}
        data={shown}
      />
    </>
  );
};
