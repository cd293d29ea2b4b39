import {
  Box,
  Button,
  FormControl,
  FormControlLabel,
  Grid,
  IconButton,
  InputLabel,
  MenuItem,
  Select,
  Switch,
  TextField,
  Typography,
} from '@material-ui/core';
import DeleteIcon from '@material-ui/icons/Delete';
import {
  EditResponse,
  ModelDeployment,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { useState } from 'react';
import { AutoscalingSettings } from '../../api';
import { DryRunDialog } from './DryRunDialog';

type MetricType = NonNullable<AutoscalingSettings['metrics']>[number]['type'];
const REQUEST_METRICS: MetricType[] = ['requestsInFlight', 'queueDepth'];
const METRICS: Array<[MetricType, string]> = [
  ['requestsInFlight', 'Requests in flight (per replica)'],
  ['queueDepth', 'Queue depth (per replica)'],
  ['cpu', 'CPU (% of the request)'],
  ['memory', 'Memory (% of the request)'],
];

interface Form {
  enabled: boolean;
  min: string;
  max: string;
  metrics: Array<{ type: MetricType; target: string }>;
  toZero: string;
  up: string;
  down: string;
}

const str = (n?: number) => (n === undefined ? '' : String(n));

/** The form for the current settings; a deployment without any gets a starting point. */
function initial(md: ModelDeployment): Form {
  const a = md.spec.autoscaling;
  if (a)
    return {
      enabled: a.enabled,
      min: str(a.minReplicas),
      max: str(a.maxReplicas),
      metrics: (a.metrics ?? [{ type: 'cpu', target: 80 }]).map(m => ({
        type: m.type,
        target: String(m.target),
      })),
      toZero: str(a.scaleToZeroAfterSeconds),
      up: str(a.scaleUpStabilizationSeconds),
      down: str(a.scaleDownStabilizationSeconds),
    };
  // Model servers are bound by requests; an HTTP predictor (scikit-learn, …) by its CPU.
  const replicas = md.spec.replicas ?? 1;
  return {
    enabled: true,
    min: String(Math.max(1, Math.min(replicas, 100))),
    max: String(Math.max(2, Math.min(replicas, 100))),
    metrics:
      md.spec.engine === 'http'
        ? [{ type: 'cpu', target: '80' }]
        : [{ type: 'requestsInFlight', target: '8' }],
    toZero: '',
    up: '',
    down: '',
  };
}

/** A whole number in [min, max], or the reason it is not. */
function whole(
  text: string,
  name: string,
  min: number,
  max: number,
  problems: string[],
): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}`);
    return undefined;
  }
  return n;
}

/** The settings the form describes, checked by the CRD's rules, or what is wrong with them. */
export function settingsOf(form: Form): {
  input?: AutoscalingSettings;
  problems: string[];
} {
  const problems: string[] = [];
  const min = whole(form.min, 'Minimum replicas', 0, 100, problems);
  const max = whole(form.max, 'Maximum replicas', 1, 100, problems);
  if (form.max.trim() === '') problems.push('Maximum replicas is required');
  const up = whole(form.up, 'Scale-up window', 0, 3600, problems);
  const down = whole(form.down, 'Scale-down window', 0, 3600, problems);
  const metrics = form.metrics.map(m => {
    if (m.target.trim() === '')
      problems.push(`The target of ${m.type} is required`);
    return {
      type: m.type,
      target: whole(m.target, `The target of ${m.type}`, 1, 1000, problems),
    };
  });
  if (metrics.length === 0) problems.push('Add at least one metric');
  if (new Set(metrics.map(m => m.type)).size !== metrics.length)
    problems.push('Each metric may appear once');
  const requestBased = metrics.map(m => REQUEST_METRICS.includes(m.type));
  if (requestBased.some(Boolean) && !requestBased.every(Boolean))
    problems.push(
      'Pick one kind of metric: cpu and memory are scaled by an HPA, requestsInFlight and queueDepth by the built-in autoscaler',
    );
  // Only request-based metrics scale to zero: the field is off (and not sent) for the others.
  const toZero =
    metrics.length > 0 && requestBased.every(Boolean)
      ? whole(form.toZero, 'Scale to zero after', 30, 604800, problems)
      : undefined;
  if (min !== undefined && max !== undefined && min > max)
    problems.push('The minimum must not exceed the maximum');
  if (min === 0 && toZero === undefined)
    problems.push('A minimum of 0 needs "Scale to zero after"');
  if (problems.length) return { problems };
  return {
    problems,
    input: {
      enabled: form.enabled,
      ...(min !== undefined ? { minReplicas: min } : {}),
      maxReplicas: max!,
      metrics: metrics.map(m => ({ type: m.type, target: m.target! })),
      ...(toZero !== undefined ? { scaleToZeroAfterSeconds: toZero } : {}),
      ...(up !== undefined ? { scaleUpStabilizationSeconds: up } : {}),
      ...(down !== undefined ? { scaleDownStabilizationSeconds: down } : {}),
    },
  };
}

/** Autoscaling on or off, its range, metrics, scale to zero and stabilization windows. */
export function AutoscaleDialog({
  resource,
  open,
  onClose,
  onAutoscale,
  onApplied,
}: {
  resource: ModelDeployment;
  open: boolean;
  onClose: () => void;
  onAutoscale: (
    settings: AutoscalingSettings,
    dryRun: boolean,
  ) => Promise<EditResponse>;
  onApplied: (result: EditResponse) => void;
}) {
  const [form, setForm] = useState<Form>(() => initial(resource));
  const set = (patch: Partial<Form>) => setForm(f => ({ ...f, ...patch }));
  const requestBased =
    form.metrics.length > 0 &&
    form.metrics.every(m => REQUEST_METRICS.includes(m.type));
  const unused = METRICS.map(([t]) => t).filter(
    t => !form.metrics.some(m => m.type === t),
  );
  const field = (
    label: string,
    key: 'min' | 'max' | 'toZero' | 'up' | 'down',
    opts: {
      helperText?: string;
      placeholder?: string;
      disabled?: boolean;
    } = {},
  ) => (
    <TextField
      fullWidth
      margin="dense"
      type="number"
      label={label}
      value={form[key]}
      onChange={e => set({ [key]: e.target.value })}
      helperText={opts.helperText}
      placeholder={opts.placeholder}
      InputLabelProps={opts.placeholder ? { shrink: true } : undefined}
      disabled={!form.enabled || opts.disabled}
      inputProps={{ 'aria-label': label }}
    />
  );

  return (
    <DryRunDialog<AutoscalingSettings>
      open={open}
      onClose={onClose}
      title={`Autoscaling of ${resource.metadata.name}`}
      prepare={() => settingsOf(form)}
      send={onAutoscale}
      onApplied={onApplied}
    >
      <Typography variant="body2" color="textSecondary">
        CPU and memory are scaled by a HorizontalPodAutoscaler; requests in
        flight and queue depth by the built-in autoscaler, which can scale to
        zero (the next request through the gateway wakes the deployment).
        Replicas move into the range.
      </Typography>
      <FormControlLabel
        control={
          <Switch
            checked={form.enabled}
            onChange={e => set({ enabled: e.target.checked })}
            color="primary"
          />
        }
        label={form.enabled ? 'Autoscaling on' : 'Autoscaling off'}
      />
      <Grid container spacing={2}>
        <Grid item xs={6}>
          {field('Minimum replicas', 'min', { placeholder: '1' })}
        </Grid>
        <Grid item xs={6}>
          {field('Maximum replicas', 'max')}
        </Grid>
      </Grid>
      <Box mt={1}>
        <Typography variant="subtitle2" component="h3">
          Metrics
        </Typography>
        {form.metrics.map((m, i) => (
          <Box
            key={i}
            display="flex"
            alignItems="center"
            style={{ gap: 8 }}
            role="group"
            aria-label={`Metric ${i + 1}`}
          >
            <FormControl margin="dense" style={{ flex: 2 }}>
              <InputLabel id={`metric-type-${i}`}>Metric</InputLabel>
              <Select
                labelId={`metric-type-${i}`}
                value={m.type}
                disabled={!form.enabled}
                onChange={e =>
                  set({
                    metrics: form.metrics.map((old, j) =>
                      i === j
                        ? { ...old, type: e.target.value as MetricType }
                        : old,
                    ),
                  })
                }
              >
                {METRICS.map(([type, name]) => (
                  <MenuItem key={type} value={type}>
                    {name}
                  </MenuItem>
                ))}
              </Select>
            </FormControl>
            <TextField
              margin="dense"
              type="number"
              label="Target"
              style={{ flex: 1 }}
              value={m.target}
              disabled={!form.enabled}
              onChange={e =>
                set({
                  metrics: form.metrics.map((old, j) =>
                    i === j ? { ...old, target: e.target.value } : old,
                  ),
                })
              }
              inputProps={{ 'aria-label': `Metric ${i + 1} target` }}
            />
            <IconButton
              size="small"
              aria-label={`Remove metric ${i + 1}`}
              disabled={!form.enabled}
              onClick={() =>
                set({ metrics: form.metrics.filter((_, j) => j !== i) })
              }
            >
              <DeleteIcon fontSize="small" />
            </IconButton>
          </Box>
        ))}
        <Button
          size="small"
          disabled={!form.enabled || unused.length === 0}
          onClick={() =>
            set({
              metrics: [
                ...form.metrics,
                {
                  // The same kind as the others: the two kinds do not mix.
                  type:
                    unused.find(
                      t =>
                        form.metrics.length === 0 ||
                        REQUEST_METRICS.includes(t) === requestBased,
                    ) ?? unused[0],
                  target: '',
                },
              ],
            })
          }
        >
          Add metric
        </Button>
      </Box>
      <Grid container spacing={2}>
        <Grid item xs={12} sm={4}>
          {field('Scale to zero after (s)', 'toZero', {
            disabled: !requestBased,
            placeholder: 'never',
            helperText: requestBased
              ? 'Idle seconds; at least 30'
              : 'Needs request-based metrics',
          })}
        </Grid>
        <Grid item xs={6} sm={4}>
          {field('Scale-up window (s)', 'up', {
            placeholder: '60',
            helperText: 'Stabilization before adding replicas',
          })}
        </Grid>
        <Grid item xs={6} sm={4}>
          {field('Scale-down window (s)', 'down', {
            placeholder: '300',
            helperText: 'Stabilization before removing replicas',
          })}
        </Grid>
      </Grid>
    </DryRunDialog>
  );
}
