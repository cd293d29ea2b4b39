import {
  FleetFacets,
  FleetQuery,
  FleetResponse,
  FleetSortKey,
  FLEET_TEXT_MAX,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  Box,
  IconButton,
  InputAdornment,
  LinearProgress,
  Paper,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TablePagination,
  TableRow,
  TableSortLabel,
  TextField,
  Toolbar,
  Typography,
} from '@material-ui/core';
import { makeStyles, Theme } from '@material-ui/core/styles';
import ClearIcon from '@material-ui/icons/Clear';
import SearchIcon from '@material-ui/icons/Search';
import { ChangeEvent, useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '../errorMessage';
import { ALL, FilterSearch, FilterSelect } from './FleetFilters';
import { columns } from './fleetColumns';
import { FleetRows } from './FleetRows';
import { useFleetPage } from './useFleetPage';

// The look of Backstage's Table (its header and toolbar), which this table replaces.
const useStyles = makeStyles((theme: Theme) => ({
  header: {
    padding: theme.spacing(1, 2, 1, 2.5),
    borderTop: `1px solid ${theme.palette.grey.A100}`,
    borderBottom: `1px solid ${theme.palette.grey.A100}`,
    fontWeight: 'bold',
    wordBreak: 'normal',
    textTransform: 'uppercase',
  },
  toolbar: { padding: theme.spacing(3, 2, 2.5, 2.5) },
  title: { flex: 1, fontWeight: 'bold' },
}));

type Filters = {
  cluster: string;
  engine: string;
  model: string;
  phase: string;
  owner: string;
};

/** What the table shows: a page of what the filters, the search and the sort select. */
interface View {
  filters: Filters;
  search: string;
  sort?: FleetSortKey;
  order: 'asc' | 'desc';
  page: number;
  pageSize: number;
}

const PAGE_SIZE = 20;

/** The server's question for a view: only the filters that are set. */
const questionOf = (view: View): FleetQuery => ({
  limit: view.pageSize,
  offset: view.page * view.pageSize,
  q: view.search || undefined,
  sort: view.sort,
  order: view.sort ? view.order : undefined,
  ...Object.fromEntries(
    Object.entries(view.filters).filter(([, v]) => v !== ALL),
  ),
});

/**
 * The fleet table with filters, a page at a time from the server (`load`), searched and sorted
 * there. Each change asks the server at once, from the event (no debounce: a page costs the
 * backend milliseconds); the rows are drawn again only when an answer changes them. The page
 * shown is asked again every `refreshMs` and keeps its page, search and sort.
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
  const classes = useStyles();
  const [view, setView] = useState<View>({
    filters: { cluster: ALL, engine: ALL, model: ALL, phase: ALL, owner: ALL },
    search: '',
    order: 'asc',
    page: 0,
    pageSize: PAGE_SIZE,
  });
  const viewRef = useRef(view);
  const { answer, loading, error, ask } = useFleetPage(
    load,
    questionOf(view),
    refreshMs,
  );
  const change = (patch: Partial<View>) => {
    const next = { ...viewRef.current, ...patch };
    viewRef.current = next;
    ask(questionOf(next));
    setView(next);
  };
  const changeRef = useRef(change);
  changeRef.current = change;
  // Stable handlers for the filters, which are drawn again only when their values change.
  const set = useMemo(() => {
    const choose = (key: keyof Filters) => (value: string) =>
      changeRef.current({
        filters: { ...viewRef.current.filters, [key]: value },
        page: 0,
      });
    return {
      cluster: choose('cluster'),
      engine: choose('engine'),
      model: choose('model'),
      phase: choose('phase'),
      owner: choose('owner'),
    };
  }, []);
  // A click on the sorted column turns its order; on another column sorts by it, ascending.
  const sortBy = (key: FleetSortKey) => {
    const { sort, order } = viewRef.current;
    change({
      sort: key,
      order: sort === key && order === 'asc' ? 'desc' : 'asc',
      page: 0,
    });
  };
  // A backend that does not page answers every row (and no total): count those.
  const total = answer && (answer.total ?? answer.items.length);
  // The fleet shrank under the page shown (deployments were deleted): show its last page.
  useEffect(() => {
    const { page, pageSize } = viewRef.current;
    if (answer?.items.length === 0 && total && page > 0)
      changeRef.current({ page: Math.ceil(total / pageSize) - 1 });
  }, [answer, total]);
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
          value={view.filters.cluster}
          options={facets.cluster}
          onChange={set.cluster}
        />
        <FilterSelect
          label="Engine"
          value={view.filters.engine}
          options={facets.engine}
          onChange={set.engine}
        />
        <FilterSearch
          label="Model"
          value={view.filters.model}
          options={facets.model}
          onChange={set.model}
        />
        <FilterSelect
          label="Phase"
          value={view.filters.phase}
          options={facets.phase}
          onChange={set.phase}
        />
        <FilterSelect
          label="Owner"
          value={view.filters.owner}
          options={facets.owner}
          onChange={set.owner}
        />
      </Box>
      <Paper>
        <Toolbar className={classes.toolbar}>
          <Typography variant="h5" component="h2" className={classes.title}>
            {total === undefined ? 'Model servers' : `Model servers (${total})`}
          </Typography>
          <TextField
            placeholder="Filter"
            value={view.search}
            onChange={(e: ChangeEvent<HTMLInputElement>) =>
              change({ search: e.target.value, page: 0 })
            }
            // The backend refuses longer searches; the box stops at its limit instead.
            inputProps={{
              'aria-label': 'Search model servers',
              maxLength: FLEET_TEXT_MAX,
            }}
            InputProps={{
              startAdornment: (
                <InputAdornment position="start">
                  <SearchIcon fontSize="small" />
                </InputAdornment>
              ),
              endAdornment: (
                <InputAdornment position="end">
                  <IconButton
                    size="small"
                    aria-label="Clear search"
                    disabled={!view.search}
                    onClick={() => change({ search: '', page: 0 })}
                  >
                    <ClearIcon fontSize="small" />
                  </IconButton>
                </InputAdornment>
              ),
            }}
          />
        </Toolbar>
        {/* A thin bar over the rows while a question takes a while; the rows stay readable. */}
        <Box height={4}>{loading && <LinearProgress />}</Box>
        {error && (
          <Box px={2} pb={1}>
            <Typography color="error" variant="body2">
              {answer
                ? `Could not load this page; showing the last one: ${errorMessage(
                    error,
                  )}`
                : `Could not load the model servers: ${errorMessage(error)}`}
            </Typography>
          </Box>
        )}
        <Box overflow="auto">
          <Table size="small" aria-label="Model servers">
            <TableHead>
              <TableRow>
                {columns.map(c => (
                  <TableCell
                    key={c.sort}
                    className={classes.header}
                    sortDirection={view.sort === c.sort ? view.order : false}
                  >
                    <TableSortLabel
                      active={view.sort === c.sort}
                      direction={view.sort === c.sort ? view.order : 'asc'}
                      onClick={() => sortBy(c.sort)}
                    >
                      {c.title}
                    </TableSortLabel>
                  </TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              <FleetRows answer={answer} />
            </TableBody>
          </Table>
        </Box>
        {total !== undefined && total > PAGE_SIZE && (
          <TablePagination
            component="div"
            count={total}
            page={Math.min(
              view.page,
              Math.max(0, Math.ceil(total / view.pageSize) - 1),
            )}
            rowsPerPage={view.pageSize}
            rowsPerPageOptions={[PAGE_SIZE, 50, 100, 500]}
            onPageChange={(_e, page) => change({ page })}
            onRowsPerPageChange={e =>
              change({ pageSize: Number(e.target.value), page: 0 })
            }
          />
        )}
      </Paper>
    </>
  );
};
