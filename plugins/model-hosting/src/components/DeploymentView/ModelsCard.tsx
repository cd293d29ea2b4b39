import {
  InfoCard,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  DeploymentRef,
  ModelDeployment,
  ModelStats,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  Box,
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { ReactNode } from 'react';
import { modelHostingApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { errorMessage } from '../errorMessage';

// One line for the headers and figures; the model's name takes the rest and wraps if it must.
const useStyles = makeStyles({
  head: { whiteSpace: 'nowrap', wordBreak: 'normal' },
  number: { whiteSpace: 'nowrap', wordBreak: 'normal' },
  name: { wordBreak: 'normal', overflowWrap: 'anywhere', width: '100%' },
});

const compact = new Intl.NumberFormat(undefined, {
  notation: 'compact',
  maximumFractionDigits: 1,
});

/** "just now", "5 min ago", "3 h ago", or the date: when a model was last used. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

interface Row {
  name: string;
  version?: string;
  source?: string;
  inPool: boolean;
  /** One of the models an Ollama server keeps pulled (healthCheck.expectedModels). */
  expected?: boolean;
  stats?: ModelStats;
}

/**
 * An Ollama server serves every model it has side by side (no switch); the other engines run
 * one model of their pool at a time.
 */
const servesSideBySide = (md: ModelDeployment) => md.spec.engine === 'ollama';

/** Every model of the pool (the spec's first), then any other the usage knows of. */
function rowsOf(md: ModelDeployment, stats: ModelStats[] = []): Row[] {
  const rows: Row[] = [];
  for (const m of [md.spec.model, ...(md.spec.models ?? [])]) {
    if (!rows.some(r => r.name === m.name))
      rows.push({
        name: m.name,
        version: m.version,
        source: m.source,
        inPool: true,
      });
  }
  if (servesSideBySide(md))
    for (const name of md.spec.healthCheck?.expectedModels ?? [])
      if (!rows.some(r => r.name === name))
        rows.push({ name, inPool: false, expected: true });
  for (const s of stats) {
    const row = rows.find(r => r.name === s.name);
    if (row) {
      row.stats = s;
      row.inPool = row.inPool || s.inPool;
    } else
      rows.push({
        name: s.name,
        version: s.version,
        source: s.source,
        inPool: s.inPool,
        stats: s,
      });
  }
  return rows;
}

/**
 * The models a deployment serves or may serve (its pool), which one is active, the switches
 * requests are waiting for, and each model's usage over the last 24 h.
 */
export function ModelsCard({
  deploymentRef,
  resource,
  refreshKey,
}: {
  deploymentRef: DeploymentRef;
  resource: ModelDeployment;
  /** Changes after an action, to read the usage again at once. */
  refreshKey?: number;
}) {
  const classes = useStyles();
  const api = useApi(modelHostingApiRef);
  const usage = usePolling(
    () => api.getModels(deploymentRef),
    [
      api,
      deploymentRef.cluster,
      deploymentRef.namespace,
      deploymentRef.name,
      refreshKey,
    ],
    30_000,
  );
  const status = resource.status ?? {};
  const active =
    status.activeModel ?? usage.value?.find(s => s.active)?.name ?? undefined;
  const queue = status.switchQueue ?? [];
  const sw = status.switch;
  const rows = rowsOf(resource, usage.value);
  const residency = resource.spec.switching?.minResidencySeconds;

  const stateOf = (row: Row): ReactNode => {
    const queued = queue.findIndex(q => q.model === row.name);
    if (sw && row.name === sw.to)
      return <StatusRunning>Switching to it</StatusRunning>;
    if (row.name === active) return <StatusOK>Active</StatusOK>;
    if (servesSideBySide(resource) && (row.inPool || row.expected))
      return <StatusOK>Served</StatusOK>;
    if (queued >= 0)
      return (
        <StatusPending>
          Queued #{queued + 1}, {queue[queued].waiting} waiting
        </StatusPending>
      );
    if (row.name === resource.spec.model.name && !sw)
      return <StatusPending>Requested</StatusPending>;
    return row.inPool ? 'In the pool' : 'Not in the pool';
  };
  const usageCell = (row: Row, value: (s: ModelStats) => ReactNode) => (
    <TableCell className={classes.number} align="right">
      {row.stats ? value(row.stats) : '—'}
    </TableCell>
  );

  return (
    <InfoCard
      title={`Models (${rows.length})`}
      subheader="The pool this deployment serves from, and each model's usage over the last 24 h"
    >
      {queue.length > 0 && (
        <Box mb={2}>
          <Typography variant="subtitle2" component="h3">
            Switch queue
          </Typography>
          <ol aria-label="Switch queue" style={{ margin: 0 }}>
            {queue.map(q => (
              <li key={q.model}>
                <Typography variant="body2">
                  {q.model}: {q.waiting} request{q.waiting === 1 ? '' : 's'}{' '}
                  waiting since {new Date(q.requestedAt).toLocaleTimeString()}
                </Typography>
              </li>
            ))}
          </ol>
          {residency !== undefined && (
            <Typography variant="caption" color="textSecondary">
              A model stays at least {residency} s after a switch on request
              before the next one.
            </Typography>
          )}
        </Box>
      )}
      <Table size="small" aria-label="Models">
        <TableHead>
          <TableRow>
            <TableCell className={classes.head}>Model</TableCell>
            <TableCell className={classes.head}>State</TableCell>
            <TableCell className={classes.head} align="right">
              Requests
            </TableCell>
            <TableCell className={classes.head} align="right">
              Errors
            </TableCell>
            <TableCell className={classes.head} align="right">
              Prompt tokens
            </TableCell>
            <TableCell className={classes.head} align="right">
              Generated tokens
            </TableCell>
            <TableCell className={classes.head}>Last used</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map(row => (
            <TableRow key={row.name}>
              <TableCell className={classes.name}>
                {row.name}
                {(row.version || row.source) && (
                  <Typography
                    variant="caption"
                    display="block"
                    color="textSecondary"
                  >
                    {[row.version, row.source].filter(Boolean).join(' · ')}
                  </Typography>
                )}
              </TableCell>
              <TableCell className={classes.head}>{stateOf(row)}</TableCell>
              {usageCell(row, s => compact.format(s.requests))}
              {usageCell(row, s => compact.format(s.errors))}
              {usageCell(row, s => compact.format(s.promptTokens))}
              {usageCell(row, s => compact.format(s.generationTokens))}
              <TableCell className={classes.head}>
                {row.stats?.lastUsed ? (
                  <span title={new Date(row.stats.lastUsed).toLocaleString()}>
                    {ago(row.stats.lastUsed)}
                  </span>
                ) : (
                  '—'
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {usage.loading && !usage.value && (
        <Typography variant="caption" color="textSecondary">
          Loading usage…
        </Typography>
      )}
      {usage.error && (
        <Typography variant="caption" color="error" display="block">
          Usage per model is unavailable: {errorMessage(usage.error)}
        </Typography>
      )}
    </InfoCard>
  );
}
