import { InfoCard, StatusError, StatusOK } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { DeploymentRef } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { modelHostingApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';

/** The latest health checks, newest first, with auto-recoveries marked. */
export function HealthHistory({
  deploymentRef,
}: {
  deploymentRef: DeploymentRef;
}) {
  const api = useApi(modelHostingApiRef);
  const { value } = usePolling(
    () => api.getHealthHistory(deploymentRef, 10),
    [api, deploymentRef.cluster, deploymentRef.namespace, deploymentRef.name],
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
              <TableCell>When</TableCell>
              <TableCell>Result</TableCell>
              <TableCell>Latency</TableCell>
              <TableCell>Details</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {value.map(h => (
              <TableRow key={h.checkedAt}>
                <TableCell>
                  {new Date(h.checkedAt).toLocaleTimeString()}
                </TableCell>
                <TableCell>
                  {h.healthy ? (
                    <StatusOK>Healthy</StatusOK>
                  ) : (
                    <StatusError>Failed</StatusError>
                  )}
                </TableCell>
                <TableCell>
                  {h.latencyMs !== undefined ? `${h.latencyMs} ms` : '—'}
                </TableCell>
                <TableCell>
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
