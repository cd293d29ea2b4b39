import {
  Link,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
  Table,
  TableColumn,
} from '@backstage/core-components';
import {
  DeploymentSummary,
  FleetFacets,
  FleetQuery,
  FleetResponse,
  FleetSortKey,
  gpuText,
  NOT_RECONCILED,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { Box } from '@material-ui/core';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { bytesText } from '../storageText';
import { ALL, FilterSearch, FilterSelect } from './FleetFilters';

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

// Each column's field is the server's sort key for it: the table pages, searches and sorts on
// the server (10,000 rows need not reach the browser).
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
  },
  { title: 'Engine', field: 'engine' },
  {
    title: 'Model',
    field: 'model',
    render: d => d.activeModel ?? d.model,
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
  },
  { title: 'GPUs', field: 'gpus', render: gpuText },
  {
    title: 'Cache',
    field: 'cacheBytes',
    render: d => bytesText(d.cacheBytes),
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

const PAGE_SIZE = 20;

/** What the table asks for when it pages, searches or sorts (material-table's remote query). */
type TableQuery = {
  page: number;
  pageSize: number;
  search: string;
  orderBy?: { field?: unknown };
  orderDirection: string;
};

/** The filters that are set, as query parameters. */
const chosen = (filters: Filters): Partial<FleetQuery> =>
  Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== ALL));

/**
 * The fleet table with filters, a page at a time from the server (`load`), searched and sorted
 * there; the page shown is fetched again every `refreshMs` and keeps its page, search and sort.
 */
export const FleetTable = ({
  facets,
  load,
  refreshMs = 5000,
}: {
  facets: FleetFacets;
  load: (query: FleetQuery) => Promise<FleetResponse>;
  refreshMs?: number;
}) => {
  const [filters, setFilters] = useState<Filters>({
    cluster: ALL,
    engine: ALL,
    model: ALL,
    phase: ALL,
    owner: ALL,
  });
  const [total, setTotal] = useState<number>();
  const filtersRef = useRef(filters);
  const tableRef = useRef<{ onQueryChange(query?: object): void }>();
  /** The newest question and its answer: an older answer arriving later shows the newer one. */
  const newest = useRef<{ page: number; answer: Promise<FleetResponse> }>();
  const pending = useRef(0);
  const data = useCallback(
    async (query: TableQuery) => {
      const asked = {
        page: query.page,
        answer: load({
          limit: query.pageSize,
          offset: query.page * query.pageSize,
          q: query.search || undefined,
          sort: query.orderBy?.field as FleetSortKey | undefined,
          order: query.orderBy
            ? (query.orderDirection as 'asc' | 'desc') || 'asc'
            : undefined,
          ...chosen(filtersRef.current),
        }),
      };
      newest.current = asked;
      pending.current++;
      try {
        await asked.answer;
        const shown = newest.current;
        const answer = await shown.answer;
        const count = answer.total ?? answer.items.length;
        setTotal(count);
        return { data: answer.items, page: shown.page, totalCount: count };
      } finally {
        pending.current--;
      }
    },
    [load],
  );
  // The refresh skips a beat while a question is out: the table's query is updated only when
  // the answer comes, so a refresh then would ask the question before it.
  useEffect(() => {
    const timer = setInterval(() => {
      if (!pending.current) tableRef.current?.onQueryChange();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);
  // A filter changed: the first page of what it selects, asked at once (in the same render).
  const set = useMemo(() => {
    const choose = (key: keyof Filters) => (value: string) => {
      const next = { ...filtersRef.current, [key]: value };
      filtersRef.current = next;
      setFilters(next);
      tableRef.current?.onQueryChange({ page: 0 });
    };
    return {
      cluster: choose('cluster'),
      engine: choose('engine'),
      model: choose('model'),
      phase: choose('phase'),
      owner: choose('owner'),
    };
  }, []);
  const paging = total === undefined || total > PAGE_SIZE;
  const options = useMemo(
    () => ({
      // A screenful, as Backstage's catalog table: rendering rows is most of a first view.
      paging,
      pageSize: PAGE_SIZE,
      pageSizeOptions: [PAGE_SIZE, 50, 100, 500],
      search: true,
      // The server answers a search in milliseconds: ask soon after typing stops.
      debounceInterval: 50,
      padding: 'dense' as const,
      // A refresh every few seconds shows a thin bar, not an overlay over the rows.
      loadingType: 'linear' as const,
    }),
    [paging],
  );
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
          options={facets.cluster}
          onChange={set.cluster}
        />
        <FilterSelect
          label="Engine"
          value={filters.engine}
          options={facets.engine}
          onChange={set.engine}
        />
        <FilterSearch
          label="Model"
          value={filters.model}
          options={facets.model}
          onChange={set.model}
        />
        <FilterSelect
          label="Phase"
          value={filters.phase}
          options={facets.phase}
          onChange={set.phase}
        />
        <FilterSelect
          label="Owner"
          value={filters.owner}
          options={facets.owner}
          onChange={set.owner}
        />
      </Box>
      <Table<DeploymentSummary>
        tableRef={tableRef}
        title={
          total === undefined ? 'Model servers' : `Model servers (${total})`
        }
        options={options}
        columns={columns}
        data={data}
      />
    </>
  );
};
