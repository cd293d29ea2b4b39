import {
  Box,
  Button,
  Checkbox,
  FormControl,
  FormControlLabel,
  FormHelperText,
  Grid,
  IconButton,
  InputLabel,
  MenuItem,
  Select,
  Tab,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tabs,
  TextField,
  Typography,
} from '@material-ui/core';
import DeleteIcon from '@material-ui/icons/Delete';
import {
  EditResponse,
  ModelDeployment,
  ModelDeploymentSpec,
  validateModelDeploymentSpec,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { ReactNode, useState } from 'react';
import YAML from 'yaml';
import { DryRunDialog } from './DryRunDialog';
import {
  changedFields,
  getIn,
  HIDDEN_VALUE,
  numberOf,
  quantityOf,
  setIn,
  SpecFields,
} from './specEdit';

type Spec = ModelDeploymentSpec;
type Env = NonNullable<Spec['env']>[number];
type PoolEntry = NonNullable<Spec['models']>[number];
type Path = Array<string | number>;

const TABS = ['Model', 'Resources', 'Health and probes', 'Advanced (YAML)'];
const YAML_TAB = 3;
const PROBES = ['startup', 'readiness', 'liveness'] as const;
const PROBE_FIELDS = [
  ['initialDelaySeconds', 'Initial delay (s)'],
  ['periodSeconds', 'Period (s)'],
  ['timeoutSeconds', 'Timeout (s)'],
  ['failureThreshold', 'Failure threshold'],
  ['successThreshold', 'Success threshold'],
] as const;

/** The spec as the YAML editor shows it: everything but the owner, which never changes. */
function toYaml(spec: Spec): string {
  const { owner: _owner, ...rest } = spec;
  return YAML.stringify(rest);
}

/** The YAML editor's text as a spec, or why it is not one. */
function fromYaml(
  text: string,
  owner: string,
): { spec?: Spec; error?: string } {
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (e) {
    return { error: `The YAML does not parse: ${(e as Error).message}` };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return { error: 'The YAML must be a mapping of spec fields' };
  return { spec: { ...(parsed as Spec), owner } };
}

/** A text area of one value per line; keeps its own text so that new lines can be typed. */
function LinesField({
  label,
  initial,
  onChange,
  helperText,
}: {
  label: string;
  initial?: string[];
  onChange: (lines: string[] | undefined) => void;
  helperText?: ReactNode;
}) {
  const [text, setText] = useState((initial ?? []).join('\n'));
  return (
    <TextField
      fullWidth
      multiline
      minRows={2}
      margin="dense"
      variant="outlined"
      label={label}
      helperText={helperText}
      value={text}
      onChange={e => {
        setText(e.target.value);
        const lines = e.target.value
          .split('\n')
          .map(l => l.trim())
          .filter(Boolean);
        // Emptied: no list at all, unless the spec had one (then it is sent empty).
        onChange(lines.length || initial ? lines : undefined);
      }}
      inputProps={{ 'aria-label': label }}
    />
  );
}

type EnvSource = 'value' | 'secret' | 'configMap';
function sourceOf(e: Env): EnvSource {
  if (e.valueFrom?.secretKeyRef) return 'secret';
  if (e.valueFrom?.configMapKeyRef) return 'configMap';
  return 'value';
}

/** Env variables: literal values, or references to a Secret's or ConfigMap's key by name. */
function EnvEditor({
  env,
  onChange,
}: {
  env: Env[];
  onChange: (env: Env[]) => void;
}) {
  const update = (i: number, e: Env) =>
    onChange(env.map((old, j) => (i === j ? e : old)));
  return (
    <Box>
      <Typography variant="subtitle2" component="h3">
        Environment
      </Typography>
      {env.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No variables.
        </Typography>
      )}
      {env.map((e, i) => {
        const source = sourceOf(e);
        const ref =
          source === 'secret'
            ? e.valueFrom!.secretKeyRef!
            : e.valueFrom?.configMapKeyRef;
        const setRef = (r: { name: string; key: string }) =>
          update(i, {
            name: e.name,
            valueFrom:
              source === 'secret'
                ? { secretKeyRef: r }
                : { configMapKeyRef: r },
          });
        const n = i + 1;
        return (
          <Box
            key={i}
            display="flex"
            alignItems="center"
            style={{ gap: 8 }}
            role="group"
            aria-label={`Variable ${n}`}
          >
            <TextField
              margin="dense"
              label="Name"
              value={e.name}
              onChange={ev => update(i, { ...e, name: ev.target.value })}
              inputProps={{ 'aria-label': `Variable ${n} name` }}
            />
            <FormControl margin="dense" style={{ minWidth: 120 }}>
              <InputLabel id={`env-source-${i}`}>From</InputLabel>
              <Select
                labelId={`env-source-${i}`}
                value={source}
                onChange={ev => {
                  const next = ev.target.value as EnvSource;
                  if (next === 'value') update(i, { name: e.name, value: '' });
                  else
                    update(i, {
                      name: e.name,
                      valueFrom:
                        next === 'secret'
                          ? { secretKeyRef: { name: '', key: '' } }
                          : { configMapKeyRef: { name: '', key: '' } },
                    });
                }}
              >
                <MenuItem value="value">Value</MenuItem>
                <MenuItem value="secret">Secret</MenuItem>
                <MenuItem value="configMap">ConfigMap</MenuItem>
              </Select>
            </FormControl>
            {source === 'value' ? (
              <TextField
                margin="dense"
                label="Value"
                style={{ flex: 1 }}
                value={e.value ?? ''}
                disabled={e.value === HIDDEN_VALUE}
                helperText={
                  e.value === HIDDEN_VALUE ? 'hidden from you' : undefined
                }
                onChange={ev => update(i, { ...e, value: ev.target.value })}
                inputProps={{ 'aria-label': `Variable ${n} value` }}
              />
            ) : (
              <>
                <TextField
                  margin="dense"
                  style={{ flex: 1 }}
                  label={source === 'secret' ? 'Secret' : 'ConfigMap'}
                  value={ref?.name ?? ''}
                  onChange={ev =>
                    setRef({ name: ev.target.value, key: ref?.key ?? '' })
                  }
                  inputProps={{
                    'aria-label': `Variable ${n} ${
                      source === 'secret' ? 'Secret' : 'ConfigMap'
                    }`,
                  }}
                />
                <TextField
                  margin="dense"
                  style={{ flex: 1 }}
                  label="Key"
                  value={ref?.key ?? ''}
                  onChange={ev =>
                    setRef({ name: ref?.name ?? '', key: ev.target.value })
                  }
                  inputProps={{ 'aria-label': `Variable ${n} key` }}
                />
              </>
            )}
            <IconButton
              aria-label={`Remove variable ${n}`}
              size="small"
              onClick={() => onChange(env.filter((_, j) => j !== i))}
            >
              <DeleteIcon fontSize="small" />
            </IconButton>
          </Box>
        );
      })}
      <Button
        size="small"
        onClick={() => onChange([...env, { name: '', value: '' }])}
      >
        Add variable
      </Button>
    </Box>
  );
}

/** The other models of the pool: name, version, source (their own args and env: YAML). */
function PoolEditor({
  models,
  onChange,
}: {
  models: PoolEntry[];
  onChange: (models: PoolEntry[]) => void;
}) {
  const update = (i: number, key: 'name' | 'version' | 'source', v: string) =>
    onChange(
      models.map((m, j) =>
        i === j
          ? (setIn(m, [key], key === 'name' || v ? v : undefined) as PoolEntry)
          : m,
      ),
    );
  return (
    <Box mt={2}>
      <Typography variant="subtitle2" component="h3">
        Pool
      </Typography>
      <Typography variant="body2" color="textSecondary">
        Other models this deployment may serve. A request through the gateway
        for one of them switches to it (an Ollama server serves them side by
        side). Their own engine args and env: Advanced (YAML).
      </Typography>
      {models.map((m, i) => (
        <Box
          key={i}
          display="flex"
          alignItems="center"
          style={{ gap: 8 }}
          role="group"
          aria-label={`Pool model ${i + 1}`}
        >
          <TextField
            margin="dense"
            label="Model"
            style={{ flex: 2 }}
            value={m.name}
            onChange={e => update(i, 'name', e.target.value)}
            inputProps={{ 'aria-label': `Pool model ${i + 1} name` }}
          />
          <TextField
            margin="dense"
            label="Version"
            style={{ flex: 1 }}
            value={m.version ?? ''}
            onChange={e => update(i, 'version', e.target.value)}
            inputProps={{ 'aria-label': `Pool model ${i + 1} version` }}
          />
          <TextField
            margin="dense"
            label="Source"
            style={{ flex: 2 }}
            value={m.source ?? ''}
            onChange={e => update(i, 'source', e.target.value)}
            inputProps={{ 'aria-label': `Pool model ${i + 1} source` }}
          />
          <IconButton
            aria-label={`Remove pool model ${i + 1}`}
            size="small"
            onClick={() => onChange(models.filter((_, j) => j !== i))}
          >
            <DeleteIcon fontSize="small" />
          </IconButton>
        </Box>
      ))}
      <Button size="small" onClick={() => onChange([...models, { name: '' }])}>
        Add a model to the pool
      </Button>
    </Box>
  );
}

/** Problems the schema cannot see: references without a name or key. */
function refProblems(spec: Spec): string[] {
  const all = [
    ...(spec.env ?? []).map((e, i) => [`spec.env[${i}]`, e] as const),
    ...(spec.models ?? []).flatMap((m, j) =>
      (m.env ?? []).map((e, i) => [`spec.models[${j}].env[${i}]`, e] as const),
    ),
  ];
  return all
    .filter(([, e]) => {
      const r = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      return r && (!r.name || !r.key);
    })
    .map(([path]) => `${path} needs the name and key it reads`);
}

/**
 * Edit every field set at deploy time: a form for the common ones and the whole spec as YAML.
 * Review sends only the fields that differ (each replaces the old one whole) as a dry run.
 */
export function EditDialog({
  resource,
  open,
  onClose,
  onEdit,
  onApplied,
}: {
  resource: ModelDeployment;
  open: boolean;
  onClose: () => void;
  onEdit: (fields: SpecFields, dryRun: boolean) => Promise<EditResponse>;
  onApplied: (result: EditResponse) => void;
}) {
  // What the dialog opened with: later refreshes of the page do not move the form.
  const [original] = useState<Spec>(resource.spec);
  const [draft, setDraft] = useState<Spec>(resource.spec);
  const [tab, setTab] = useState(0);
  const [yaml, setYaml] = useState<{ text: string; error?: string }>();
  // Remounts the form's own-state fields after the YAML replaced the draft.
  const [formVersion, setFormVersion] = useState(0);

  const get = (path: Path) => getIn(draft, path);
  const set = (path: Path, value: unknown) =>
    setDraft(d => setIn(d, path, value));
  const autoscaling = draft.autoscaling?.enabled
    ? draft.autoscaling
    : undefined;

  /** Leaves the YAML tab: its text becomes the draft, or the tab stays with the reason. */
  const leaveYaml = (): Spec | undefined => {
    if (!yaml) return draft;
    const parsed = fromYaml(yaml.text, original.owner);
    if (parsed.error) {
      setYaml({ ...yaml, error: parsed.error });
      return undefined;
    }
    setDraft(parsed.spec!);
    setYaml(undefined);
    setFormVersion(v => v + 1);
    return parsed.spec;
  };
  const changeTab = (next: number) => {
    if (next === tab) return;
    if (tab === YAML_TAB && !leaveYaml()) return;
    if (next === YAML_TAB) setYaml({ text: toYaml(draft) });
    setTab(next);
  };

  const prepare = () => {
    let spec: Spec | undefined = draft;
    if (tab === YAML_TAB) {
      const parsed = yaml ? fromYaml(yaml.text, original.owner) : {};
      if (parsed.error) return { problems: [parsed.error] };
      spec = parsed.spec ?? draft;
    }
    const { fields, problems } = changedFields(original, spec);
    if (problems.length) return { problems };
    if (Object.keys(fields).length === 0)
      return { problems: ['Nothing is changed yet.'] };
    const whole = { ...original, ...fields };
    const found = [
      ...validateModelDeploymentSpec(whole),
      ...refProblems(whole),
    ];
    return found.length ? { problems: found } : { input: fields, problems: [] };
  };

  const text = (
    label: string,
    path: Path,
    opts: { helperText?: ReactNode; placeholder?: string } = {},
  ) => (
    <TextField
      fullWidth
      margin="dense"
      label={label}
      value={get(path) ?? ''}
      onChange={e => set(path, e.target.value || undefined)}
      helperText={opts.helperText}
      placeholder={opts.placeholder}
      InputLabelProps={opts.placeholder ? { shrink: true } : undefined}
      inputProps={{ 'aria-label': label }}
    />
  );
  const quantity = (label: string, path: Path, helperText: string) => (
    <TextField
      fullWidth
      margin="dense"
      label={label}
      value={get(path) ?? ''}
      onChange={e =>
        set(path, quantityOf(e.target.value, getIn(original, path)))
      }
      helperText={helperText}
      inputProps={{ 'aria-label': label }}
    />
  );
  const number = (
    label: string,
    path: Path,
    opts: {
      placeholder?: string;
      helperText?: ReactNode;
      disabled?: boolean;
      ariaLabel?: string;
    } = {},
  ) => (
    <TextField
      fullWidth
      margin="dense"
      type="number"
      label={label}
      value={get(path) ?? ''}
      onChange={e => set(path, numberOf(e.target.value))}
      placeholder={opts.placeholder}
      InputLabelProps={opts.placeholder ? { shrink: true } : undefined}
      helperText={opts.helperText}
      disabled={opts.disabled}
      inputProps={{ 'aria-label': opts.ariaLabel ?? label }}
    />
  );
  /** A checkbox; unchecked is "not set" unless the spec said false. */
  const flag = (label: string, path: Path) => (
    <FormControlLabel
      control={
        <Checkbox
          checked={!!get(path)}
          onChange={e =>
            set(
              path,
              e.target.checked ||
                (getIn(original, path) === false ? false : undefined),
            )
          }
        />
      }
      label={label}
    />
  );
  const select = (
    label: string,
    path: Path,
    options: Array<[string, string]>,
    fallback: string,
    helperText?: string,
  ) => (
    <FormControl fullWidth margin="dense">
      <InputLabel id={`edit-${path.join('-')}`}>{label}</InputLabel>
      <Select
        labelId={`edit-${path.join('-')}`}
        value={get(path) ?? fallback}
        onChange={e => set(path, e.target.value)}
      >
        {options.map(([value, name]) => (
          <MenuItem key={value} value={value}>
            {name}
          </MenuItem>
        ))}
      </Select>
      {helperText && <FormHelperText>{helperText}</FormHelperText>}
    </FormControl>
  );

  const modelTab = (
    <>
      <Grid container spacing={2}>
        <Grid item xs={12} sm={6}>
          {text('Model', ['model', 'name'], {
            helperText: 'A new name or version switches the model',
          })}
        </Grid>
        <Grid item xs={6} sm={2}>
          {text('Version', ['model', 'version'])}
        </Grid>
        <Grid item xs={6} sm={4}>
          {text('Source', ['model', 'source'], {
            placeholder: 'hf://org/model',
          })}
        </Grid>
        <Grid item xs={12}>
          {text('Image', ['image'], {
            helperText: `Empty: the ${draft.engine} engine's default image`,
          })}
        </Grid>
      </Grid>
      <LinesField
        key={`args-${formVersion}`}
        label="Engine args"
        initial={draft.engineArgs}
        onChange={v => set(['engineArgs'], v)}
        helperText="One per line, appended to the engine's own (options only, never a command)"
      />
      <EnvEditor
        env={draft.env ?? []}
        onChange={env =>
          set(['env'], env.length || original.env ? env : undefined)
        }
      />
      <PoolEditor
        models={draft.models ?? []}
        onChange={models =>
          set(['models'], models.length || original.models ? models : undefined)
        }
      />
    </>
  );

  const nodeSelector = Object.entries(draft.nodeSelector ?? {});
  const tolerations = draft.tolerations ?? [];
  const resourcesTab = (
    <Grid container spacing={2}>
      <Grid item xs={6} sm={3}>
        {quantity('CPU', ['resources', 'cpu'], 'e.g. 4 or 500m')}
      </Grid>
      <Grid item xs={6} sm={3}>
        {quantity('Memory', ['resources', 'memory'], 'e.g. 16Gi')}
      </Grid>
      <Grid item xs={6} sm={3}>
        {number('GPUs', ['resources', 'gpu', 'count'], {
          helperText: 'Per replica; 0 for CPU only',
        })}
      </Grid>
      <Grid item xs={6} sm={3}>
        {select(
          'GPU sharing',
          ['gpuSharing'],
          [
            ['exclusive', 'Whole GPUs'],
            ['timeSliced', 'Time-sliced'],
          ],
          'exclusive',
        )}
      </Grid>
      <Grid item xs={12} sm={6}>
        {text('GPU resource', ['resources', 'gpu', 'resource'], {
          placeholder: 'nvidia.com/gpu',
          helperText: 'Or a MIG profile such as nvidia.com/mig-1g.10gb',
        })}
      </Grid>
      <Grid item xs={12} sm={6}>
        {text('GPU product', ['resources', 'gpu', 'product'], {
          placeholder: 'any',
          helperText: 'e.g. NVIDIA-A100-SXM4-80GB',
        })}
      </Grid>
      <Grid item xs={6} sm={3}>
        {number('Replicas', ['replicas'], {
          disabled: !!autoscaling,
          helperText: autoscaling
            ? `Autoscaling sets them (${autoscaling.minReplicas ?? 1}–${
                autoscaling.maxReplicas
              }); change its range with Autoscaling`
            : undefined,
        })}
      </Grid>
      <Grid item xs={6} sm={3}>
        {select(
          'Switching strategy',
          ['switching', 'strategy'],
          [
            ['recreate', 'Recreate'],
            ['rolling', 'Rolling'],
          ],
          'recreate',
          (get(['switching', 'strategy']) ?? 'recreate') === 'recreate'
            ? 'Free the GPUs first, then start the new model'
            : 'Start the new model first when a GPU is free',
        )}
      </Grid>
      <Grid item xs={6} sm={3}>
        {number('Switch timeout (s)', ['switching', 'timeoutSeconds'], {
          placeholder: '900',
        })}
      </Grid>
      <Grid item xs={6} sm={3}>
        {number('Minimum residency (s)', ['switching', 'minResidencySeconds'], {
          placeholder: '60',
          helperText: 'How long a model stays before a request switches again',
        })}
      </Grid>
      <Grid item xs={12}>
        <Typography variant="body2" color="textSecondary">
          Node selector:{' '}
          {nodeSelector.length
            ? nodeSelector.map(([k, v]) => `${k}=${v}`).join(', ')
            : 'none'}
          . Tolerations:{' '}
          {tolerations.length
            ? tolerations
                .map(
                  t =>
                    `${t.key ?? '*'} ${t.operator ?? 'Equal'}${
                      t.value ? ` ${t.value}` : ''
                    }${t.effect ? ` (${t.effect})` : ''}`,
                )
                .join(', ')
            : 'none'}
          . Change them under Advanced (YAML): the guardrails allow GPU and
          topology keys only.
        </Typography>
      </Grid>
    </Grid>
  );

  const healthTab = (
    <>
      <Grid container spacing={2}>
        <Grid item xs={6} sm={3}>
          {number('Check every (s)', ['healthCheck', 'intervalSeconds'], {
            placeholder: '30',
          })}
        </Grid>
        <Grid item xs={6} sm={3}>
          {number(
            'Restart after failures',
            ['healthCheck', 'failureThreshold'],
            {
              placeholder: '3',
            },
          )}
        </Grid>
        <Grid item xs={12} sm={6}>
          {text('Health path', ['healthCheck', 'path'], {
            placeholder: "the engine's",
            helperText: 'http engine: an absolute path such as /health',
          })}
        </Grid>
        <Grid item xs={12} sm={8}>
          <LinesField
            key={`expected-${formVersion}`}
            label="Expected models"
            initial={draft.healthCheck?.expectedModels}
            onChange={v => set(['healthCheck', 'expectedModels'], v)}
            helperText="Ollama: models that must stay pulled, one per line"
          />
        </Grid>
        <Grid item xs={12} sm={4}>
          {flag('Pull missing models', ['healthCheck', 'autoPull'])}
        </Grid>
        <Grid item xs={12} sm={4}>
          {flag('Inference test', ['healthCheck', 'inferenceTest', 'enabled'])}
        </Grid>
        <Grid item xs={12} sm={5}>
          {text('Test prompt', ['healthCheck', 'inferenceTest', 'prompt'])}
        </Grid>
        <Grid item xs={12} sm={3}>
          {number(
            'Test timeout (s)',
            ['healthCheck', 'inferenceTest', 'timeoutSeconds'],
            { placeholder: '30' },
          )}
        </Grid>
      </Grid>
      <Box mt={2}>
        <Typography variant="subtitle2" component="h3">
          Probes
        </Typography>
        <Typography variant="body2" color="textSecondary">
          Empty: the engine's timings.
        </Typography>
        <Table size="small" aria-label="Probes">
          <TableHead>
            <TableRow>
              <TableCell style={{ whiteSpace: 'nowrap' }}>Probe</TableCell>
              {PROBE_FIELDS.map(([field, name]) => (
                <TableCell key={field} style={{ whiteSpace: 'nowrap' }}>
                  {name}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {PROBES.map(probe => (
              <TableRow key={probe}>
                <TableCell style={{ whiteSpace: 'nowrap' }}>{probe}</TableCell>
                {PROBE_FIELDS.map(([field, name]) => (
                  <TableCell key={field}>
                    {number('', ['probes', probe, field], {
                      ariaLabel: `${probe} ${name}`,
                    })}
                  </TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
    </>
  );

  const yamlTab = (
    <TextField
      fullWidth
      multiline
      minRows={16}
      variant="outlined"
      label="Spec (YAML)"
      value={yaml?.text ?? ''}
      onChange={e => setYaml({ text: e.target.value })}
      error={!!yaml?.error}
      helperText={
        yaml?.error ??
        `Every field of the spec but the owner (${original.owner}), which never changes.`
      }
      inputProps={{
        'aria-label': 'Spec (YAML)',
        spellCheck: false,
        style: { fontFamily: 'monospace', fontSize: 13 },
      }}
    />
  );

  return (
    <DryRunDialog<SpecFields>
      open={open}
      onClose={onClose}
      title={`Edit ${resource.metadata.name}`}
      maxWidth="md"
      prepare={prepare}
      send={onEdit}
      onApplied={onApplied}
    >
      <Typography variant="body2" color="textSecondary">
        {draft.engine} engine, owned by {original.owner}. Review shows what
        changes before anything is applied.
      </Typography>
      <Tabs
        value={tab}
        onChange={(_e, v) => changeTab(v)}
        indicatorColor="primary"
        aria-label="Edit sections"
        variant="scrollable"
      >
        {TABS.map((t, i) => (
          <Tab
            key={t}
            label={t}
            id={`edit-tab-${i}`}
            aria-controls="edit-tab-panel"
          />
        ))}
      </Tabs>
      <Box
        mt={2}
        minHeight={360}
        role="tabpanel"
        id="edit-tab-panel"
        aria-labelledby={`edit-tab-${tab}`}
      >
        {tab === 0 && modelTab}
        {tab === 1 && resourcesTab}
        {tab === 2 && healthTab}
        {tab === YAML_TAB && yamlTab}
      </Box>
    </DryRunDialog>
  );
}
