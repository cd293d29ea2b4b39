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
// The message column takes what the others leave (width 100% in an auto-layout table).
const useStyles = makeStyles({
  nowrap: { whiteSpace: 'nowrap', wordBreak: 'normal' },
  object: { wordBreak: 'normal', overflowWrap: 'anywhere', minWidth: 160 },
  message: { wordBreak: 'normal', overflowWrap: 'anywhere', width: '100%' },
});

export const PodsTable = ({ pods }: { pods: PodInfo[] }) => {
  const classes = useStyles();
  return (
    <InfoCard title={`Pods (${pods.length})`}>
      {pods.length === 0 ? (
        <Typography>
          No pods: the deployment is scaled to zero or not yet reconciled.
        </Typography>
      ) : (
        <Table size="small" aria-label="Pods">
          <TableHead>
            <TableRow>
              {[
                'Pod',
                'Node',
                'GPU',
                'Phase',
                'Ready',
                'Restarts',
                'Model',
              ].map(h => (
                <TableCell key={h} className={classes.nowrap}>
                  {h}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {pods.map(p => (
              <TableRow key={p.name}>
                <TableCell className={classes.nowrap}>{p.name}</TableCell>
                <TableCell className={classes.nowrap}>
                  {p.node ?? <i>not scheduled</i>}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  {p.gpuProduct ?? '—'}
                </TableCell>
                <TableCell className={classes.message}>
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
                <TableCell className={classes.nowrap}>
                  {p.ready ? 'yes' : 'no'}
                </TableCell>
                <TableCell className={classes.nowrap}>{p.restarts}</TableCell>
                <TableCell className={classes.object}>
                  {p.model ?? '—'}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
};

export const EventsTable = ({ events }: { events: EventInfo[] }) => {
  const classes = useStyles();
  return (
    <InfoCard title="Recent events">
      {events.length === 0 ? (
        <Typography>No events.</Typography>
      ) : (
        <Table size="small" aria-label="Events">
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
