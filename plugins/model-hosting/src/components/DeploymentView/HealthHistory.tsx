import { InfoCard, StatusError, StatusOK } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { DeploymentRef } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { modelHostingApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';

// As in the events table: one line for the headers and short columns, the details wrap.
const useStyles = makeStyles({
  nowrap: { whiteSpace: 'nowrap', wordBreak: 'normal' },
  details: { wordBreak: 'normal', overflowWrap: 'anywhere', width: '100%' },
});

/** The latest health checks, newest first, with auto-recoveries marked. */
export function HealthHistory({
  deploymentRef,
  refreshKey,
}: {
  deploymentRef: DeploymentRef;
  /** Changes after an action (a check run now), to read the history again at once. */
  refreshKey?: number;
}) {
  const classes = useStyles();
  const api = useApi(modelHostingApiRef);
  const { value } = usePolling(
    () => api.getHealthHistory(deploymentRef, 10),
    [
      api,
      deploymentRef.cluster,
      deploymentRef.namespace,
      deploymentRef.name,
      refreshKey,
    ],
    10_000,
  );
  return (
    <InfoCard title="Health checks">
      {!value || value.length === 0 ? (
        <Typography>
          No health checks yet: they start once a replica is ready.
        </Typography>
      ) : (
        <Table size="small" aria-label="Health checks">
          <TableHead>
            <TableRow>
              <TableCell className={classes.nowrap}>When</TableCell>
              <TableCell className={classes.nowrap}>Result</TableCell>
              <TableCell className={classes.nowrap}>Latency</TableCell>
              <TableCell className={classes.nowrap}>Details</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {value.map((h, i) => (
              <TableRow key={`${h.checkedAt}-${i}`}>
                <TableCell className={classes.nowrap}>
                  {new Date(h.checkedAt).toLocaleTimeString()}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  {h.healthy ? (
                    <StatusOK>Healthy</StatusOK>
                  ) : (
                    <StatusError>Failed</StatusError>
                  )}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  {h.latencyMs !== undefined ? `${h.latencyMs} ms` : '—'}
                </TableCell>
                <TableCell className={classes.details}>
                  {h.message}
                  {h.recovered ? ' — pods restarted' : ''}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
}
