import { InfoCard } from '@backstage/core-components';
import {
  EventInfo,
  PodInfo,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';

// Backstage's theme lets table cells break anywhere (word-break: break-word), so a long message
// squeezed the other columns down to a letter or two a line. Headers and short columns keep to
// one line; only the message (and a long object name) wraps, between words where it can.
const useStyles = makeStyles({
  table: { tableLayout: 'auto' },
  nowrap: { whiteSpace: 'nowrap', wordBreak: 'normal', width: '1%' },
  object: { wordBreak: 'normal', overflowWrap: 'anywhere', minWidth: 160 },
  message: { wordBreak: 'normal', overflowWrap: 'anywhere', minWidth: 240 },
});

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

export const EventsTable = ({ events }: { events: EventInfo[] }) => {
  const classes = useStyles();
  return (
    <InfoCard title="Recent events">
      {events.length === 0 ? (
        <Typography>No events.</Typography>
      ) : (
        <Table size="small" aria-label="Events" className={classes.table}>
          <TableHead>
            <TableRow>
              <TableCell className={classes.nowrap}>When</TableCell>
              <TableCell className={classes.nowrap}>Type</TableCell>
              <TableCell className={classes.nowrap}>Reason</TableCell>
              <TableCell className={classes.nowrap}>Object</TableCell>
              <TableCell className={classes.nowrap}>Message</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {events.slice(0, 20).map((e, i) => (
              <TableRow key={`${e.lastTimestamp}-${e.reason}-${i}`}>
                <TableCell className={classes.nowrap}>
                  {e.lastTimestamp
                    ? new Date(e.lastTimestamp).toLocaleTimeString()
                    : '—'}
                </TableCell>
                <TableCell className={classes.nowrap}>{e.type}</TableCell>
                <TableCell className={classes.nowrap}>
                  {e.reason}
                  {(e.count ?? 0) > 1 ? ` ×${e.count}` : ''}
                </TableCell>
                <TableCell className={classes.object}>{e.object}</TableCell>
                <TableCell className={classes.message}>{e.message}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
};
