import { InfoCard, WarningPanel } from '@backstage/core-components';
import {
  ClusterCapacity,
  GpuHolder,
  GpuResourceUsage,
  NodeCapacity,
  PendingPod,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  Box,
  Chip,
  LinearProgress,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';

const sharingLabel: Record<NodeCapacity['sharing'], string> = {
  exclusive: 'Whole GPUs',
  timeSliced: 'Time-sliced',
  mig: 'MIG',
  none: 'No GPUs',
};

const short = (resource: string) => resource.replace('nvidia.com/', '');

export const UsageBar = ({ usage }: { usage: GpuResourceUsage }) => {
  const percent = usage.allocatable
    ? Math.min(100, (usage.requested / usage.allocatable) * 100)
    : 0;
  const label = `${short(usage.resource)}: ${usage.requested} of ${
    usage.allocatable
  } requested`;
  return (
    <Box mb={0.5}>
      <Typography variant="caption">{label}</Typography>
      <LinearProgress
        variant="determinate"
        value={percent}
        aria-label={label}
        color={percent >= 100 ? 'secondary' : 'primary'}
      />
    </Box>
  );
};

const NodeRow = ({ node }: { node: NodeCapacity }) => (
  <TableRow>
    <TableCell>
      <Typography variant="body2">{node.name}</Typography>
      {!node.ready && <Chip size="small" label="Not ready" />}
    </TableCell>
    <TableCell>{node.product ?? '—'}</TableCell>
    <TableCell>
      <Chip
        size="small"
        label={sharingLabel[node.sharing]}
        variant={node.sharing === 'exclusive' ? 'default' : 'outlined'}
      />
    </TableCell>
    <TableCell style={{ minWidth: 220 }}>
      {node.resources.map(r => (
        <UsageBar key={r.resource} usage={r} />
      ))}
    </TableCell>
    <TableCell>
      {node.holders.length === 0
        ? '—'
        : node.holders.map(h => (
            <Typography
              key={`${h.namespace}/${h.pod}/${h.resource}`}
              variant="body2"
            >
              {holderName(h)}: {h.count} × {short(h.resource)}
            </Typography>
          ))}
    </TableCell>
  </TableRow>
);

/** Who holds GPUs, as far as the caller may know: other teams' pods come as counts only. */
function holderName(h: GpuHolder) {
  if (h.otherTeams) return 'other teams';
  if (h.deployment) return `${h.deployment.namespace}/${h.deployment.name}`;
  return `${h.namespace}/${h.pod} (not managed)`;
}

function pendingName(p: PendingPod) {
  if (p.otherTeams) return 'Other teams';
  if (p.deployment) return `${p.deployment.namespace}/${p.deployment.name}`;
  return `${p.namespace}/${p.pod}`;
}

/** GPUs of one cluster: totals, per node (allocatable vs requested, who holds them) and who waits. */
export const ClusterGpuCapacity = ({
  capacity,
}: {
  capacity: ClusterCapacity;
}) => {
  const gpuNodes = capacity.nodes.filter(n => n.sharing !== 'none');
  return (
    <InfoCard
      title={`GPUs on ${capacity.cluster}`}
      subheader={
        capacity.reachable ? undefined : `unreachable: ${capacity.error}`
      }
    >
      {capacity.pending.length > 0 && (
        <WarningPanel
          severity="warning"
          title={`${capacity.pending.length} pod(s) waiting for GPUs`}
          defaultExpanded
        >
          {capacity.pending.map(p => (
            <Typography
              key={`${p.namespace}/${p.pod}`}
              variant="body2"
              gutterBottom
            >
              <b>{pendingName(p)}</b> wants{' '}
              {Object.entries(p.requests)
                .map(([r, n]) => `${n} × ${short(r)}`)
                .join(', ')}
              : {p.reason}
            </Typography>
          ))}
        </WarningPanel>
      )}
      <Box
        display="flex"
        flexWrap="wrap"
        style={{ gap: 24 }}
        mb={2}
        aria-label="Totals"
      >
        {capacity.totals.map(t => (
          <Box key={t.resource} minWidth={220}>
            <UsageBar usage={t} />
          </Box>
        ))}
      </Box>
      {gpuNodes.length === 0 ? (
        <Typography>No GPU nodes in this cluster.</Typography>
      ) : (
        <Table size="small" aria-label={`GPU nodes of ${capacity.cluster}`}>
          <TableHead>
            <TableRow>
              <TableCell>Node</TableCell>
              <TableCell>Product</TableCell>
              <TableCell>Sharing</TableCell>
              <TableCell>Allocatable vs requested</TableCell>
              <TableCell>Held by</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {gpuNodes.map(n => (
              <NodeRow key={n.name} node={n} />
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
};

export const GpuCapacity = ({ clusters }: { clusters: ClusterCapacity[] }) => (
  <Box display="flex" flexDirection="column" style={{ gap: 24 }}>
    {clusters.map(c => (
      <ClusterGpuCapacity key={c.cluster} capacity={c} />
    ))}
  </Box>
);
