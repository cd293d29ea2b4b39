import { InfoCard } from '@backstage/core-components';
import {
  EventInfo,
  PodInfo,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';

export const PodsTable = ({ pods }: { pods: PodInfo[] }) => (
  <InfoCard title={`Pods (${pods.length})`}>
    {pods.length === 0 ? (
      <Typography>
        No pods: the deployment is scaled to zero or not yet reconciled.
      </Typography>
    ) : (
      <Table size="small" aria-label="Pods">
        <TableHead>
          <TableRow>
            <TableCell>Pod</TableCell>
            <TableCell>Node</TableCell>
            <TableCell>GPU</TableCell>
            <TableCell>Phase</TableCell>
            <TableCell>Ready</TableCell>
            <TableCell>Restarts</TableCell>
            <TableCell>Model</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {pods.map(p => (
            <TableRow key={p.name}>
              <TableCell>{p.name}</TableCell>
              <TableCell>{p.node ?? <i>not scheduled</i>}</TableCell>
              <TableCell>{p.gpuProduct ?? '—'}</TableCell>
              <TableCell>
                {p.phase}
                {p.reason && (
                  <Typography
                    variant="caption"
                    display="block"
                    color="textSecondary"
                  >
                    {p.reason}
                  </Typography>
                )}
              </TableCell>
              <TableCell>{p.ready ? 'yes' : 'no'}</TableCell>
              <TableCell>{p.restarts}</TableCell>
              <TableCell>{p.model ?? '—'}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    )}
  </InfoCard>
);

export const EventsTable = ({ events }: { events: EventInfo[] }) => (
  <InfoCard title="Recent events">
    {events.length === 0 ? (
      <Typography>No events.</Typography>
    ) : (
      <Table size="small" aria-label="Events">
        <TableHead>
          <TableRow>
            <TableCell>When</TableCell>
            <TableCell>Type</TableCell>
            <TableCell>Reason</TableCell>
            <TableCell>Object</TableCell>
            <TableCell>Message</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {events.slice(0, 20).map((e, i) => (
            <TableRow key={`${e.lastTimestamp}-${e.reason}-${i}`}>
              <TableCell>
                {e.lastTimestamp
                  ? new Date(e.lastTimestamp).toLocaleTimeString()
                  : '—'}
              </TableCell>
              <TableCell>{e.type}</TableCell>
              <TableCell>{e.reason}</TableCell>
              <TableCell>{e.object}</TableCell>
              <TableCell>{e.message}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    )}
  </InfoCard>
);
