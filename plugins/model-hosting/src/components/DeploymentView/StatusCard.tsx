import { InfoCard, StructuredMetadataTable } from '@backstage/core-components';
import {
  DeploymentDetail,
  gpuText,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { Box, Chip, LinearProgress, Typography } from '@material-ui/core';
import { PhaseStatus } from '../FleetPage/fleetColumns';
import { modelCacheText, storageText } from '../storageText';

const switchStep = {
  ScalingDown: 'freeing the GPUs',
  Starting: 'starting the new model',
} as const;

type Autoscaling = NonNullable<
  DeploymentDetail['resource']['spec']['autoscaling']
>;

/** What the built-in autoscaler goes by, and whether a request wakes the deployment from zero. */
function builtInText(a: Autoscaling) {
  const metrics = (a.metrics ?? [])
    .map(m => `${m.type} ${m.target} per replica`)
    .join(', ');
  const toZero =
    a.minReplicas === 0 && a.scaleToZeroAfterSeconds !== undefined
      ? `; to zero after ${a.scaleToZeroAfterSeconds} s idle, woken by the next request through the gateway`
      : '';
  return `built-in, ${a.minReplicas ?? 1}–${
    a.maxReplicas
  } replicas on ${metrics}${toZero}`;
}

/** Who scales the deployment: the HPA (cpu, memory), the built-in autoscaler, or nobody. */
function autoscalerText(
  hpa: DeploymentDetail['hpa'],
  a: Autoscaling | undefined,
) {
  if (hpa) {
    const metrics = hpa.metrics
      .map(m => `${m.name} ${m.current ?? '?'}%/${m.target}%`)
      .join(', ');
    return `HPA ${hpa.minReplicas ?? 1}–${
      hpa.maxReplicas
    } replicas, ${metrics}`;
  }
  return a?.enabled ? builtInText(a) : 'off';
}

/** Phase, model, replicas, conditions, autoscaler and the last switch of one deployment. */
export function StatusCard({
  detail,
  action,
}: {
  detail: DeploymentDetail;
  action?: React.ReactNode;
}) {
  const { summary, resource, hpa } = detail;
  const status = resource.status ?? {};
  const sw = status.switch;
  const last = status.lastSwitch;
  const metadata: Record<string, any> = {
    phase: <PhaseStatus phase={summary.phase} />,
    'active model': summary.activeModel ?? '—',
    ...(summary.model !== summary.activeModel
      ? { 'requested model': summary.model }
      : {}),
    engine: summary.engine,
    replicas: `${summary.readyReplicas} ready of ${summary.replicas}`,
    accelerators: gpuText(summary),
    cluster: `${summary.cluster} / ${summary.namespace}`,
    owner: summary.owner,
    endpoint: status.endpoint ?? '—',
    autoscaler: autoscalerText(hpa, resource.spec.autoscaling),
    'model files': storageText(resource.spec, summary.name),
    'model cache': modelCacheText(status.modelCache),
    'last switch': last
      ? `${last.from} → ${last.to} in ${last.seconds} s (${last.strategy})${
          last.trigger === 'request' ? ', asked for by a request' : ''
        }`
      : '—',
  };
  return (
    <InfoCard title="Status" action={action}>
      {sw && (
        <Box mb={2} role="status" aria-live="polite">
          <Typography variant="body2">
            Switching from {sw.from} to {sw.to} ({sw.strategy})
            {sw.step ? `: ${switchStep[sw.step]}` : ''}…
          </Typography>
          {sw.trigger === 'request' && (
            <Typography variant="caption" color="textSecondary">
              Asked for by a request through the gateway; requests for {sw.to}{' '}
              wait until it is ready.
            </Typography>
          )}
          <LinearProgress aria-label="Switch in progress" />
        </Box>
      )}
      <StructuredMetadataTable metadata={metadata} />
      <Box
        mt={2}
        display="flex"
        flexWrap="wrap"
        style={{ gap: 8 }}
        aria-label="Conditions"
      >
        {(status.conditions ?? []).map(c => (
          <Chip
            key={c.type}
            size="small"
            color={c.status === 'True' ? 'primary' : 'default'}
            variant={c.status === 'True' ? 'default' : 'outlined'}
            label={`${c.type}: ${
              c.status === 'True' ? 'yes' : c.reason ?? 'no'
            }`}
            title={c.message}
          />
        ))}
      </Box>
      {(status.conditions ?? [])
        .filter(c => c.status === 'False' && c.message && c.type !== 'Ready')
        .map(c => (
          <Typography
            key={c.type}
            variant="body2"
            color="error"
            style={{ marginTop: 8 }}
          >
            {c.type}: {c.message}
          </Typography>
        ))}
    </InfoCard>
  );
}
