import {
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  FormControl,
  InputLabel,
  MenuItem,
  Select,
  TextField,
} from '@material-ui/core';
import Alert from '@material-ui/lab/Alert';
import {
  DeploymentSummary,
  SwitchRequest,
  validateModelDeploymentSpec,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { ReactNode, useState } from 'react';
import { errorMessage } from '../errorMessage';

/** A dialog that runs an action, shows its progress and the backend's error, and closes on success. */
function ActionDialog(props: {
  open: boolean;
  title: string;
  submitLabel: string;
  destructive?: boolean;
  onClose: () => void;
  /** A message when the input is invalid; the action is not sent then. */
  validate: () => string | undefined;
  run: () => Promise<void>;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [touched, setTouched] = useState(false);
  const problem = props.validate();
  const submit = async () => {
    setTouched(true);
    if (problem) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.run();
      props.onClose();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open={props.open}
      onClose={props.onClose}
      aria-labelledby="model-hosting-dialog-title"
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id="model-hosting-dialog-title">{props.title}</DialogTitle>
      <DialogContent>
        {props.children}
        {touched && problem && (
          <Alert severity="error" role="alert">
            {problem}
          </Alert>
        )}
        {error && (
          <Alert severity="error" role="alert">
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          onClick={submit}
          color={props.destructive ? 'secondary' : 'primary'}
          variant="contained"
          disabled={busy}
          startIcon={busy ? <CircularProgress size={16} /> : undefined}
        >
          {props.submitLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

export function ScaleDialog({
  summary,
  open,
  onClose,
  onScale,
}: {
  summary: DeploymentSummary;
  open: boolean;
  onClose: () => void;
  onScale: (n: number) => Promise<void>;
}) {
  const [value, setValue] = useState(String(summary.replicas));
  const a = summary.autoscaling?.enabled ? summary.autoscaling : undefined;
  const min = a?.minReplicas ?? 0;
  const max = a?.maxReplicas ?? 100;
  const validate = () => {
    if (!/^\d+$/.test(value.trim())) return 'Replicas must be a whole number.';
    const n = Number(value);
    if (n < min || n > max)
      return a
        ? `Autoscaling keeps this deployment between ${min} and ${max} replicas.`
        : 'Replicas must be between 0 and 100.';
    return undefined;
  };
  return (
    <ActionDialog
      open={open}
      onClose={onClose}
      title={`Scale ${summary.name}`}
      submitLabel="Scale"
      validate={validate}
      run={() => onScale(Number(value))}
    >
      <DialogContentText>
        {a
          ? `Autoscaling is on (${min} to ${max} replicas); it may change this again.`
          : 'Each replica holds its own GPUs.'}{' '}
        Scaling to 0 frees every GPU.
      </DialogContentText>
      <TextField
        // eslint-disable-next-line jsx-a11y/no-autofocus -- the dialog exists for this one field
        autoFocus
        fullWidth
        label="Replicas"
        type="number"
        value={value}
        onChange={e => setValue(e.target.value)}
        inputProps={{ min, max, 'aria-label': 'Replicas' }}
        margin="normal"
      />
    </ActionDialog>
  );
}

export function SwitchDialog({
  summary,
  open,
  onClose,
  onSwitch,
}: {
  summary: DeploymentSummary;
  open: boolean;
  onClose: () => void;
  onSwitch: (r: SwitchRequest) => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [source, setSource] = useState('');
  const [strategy, setStrategy] = useState<'recreate' | 'rolling'>('recreate');
  const active = summary.activeModel ?? summary.model;
  const model = {
    name: name.trim(),
    ...(source.trim() ? { source: source.trim() } : {}),
  };
  const validate = () => {
    if (!model.name) return 'Enter the model to switch to.';
    if (model.name === active)
      return `${summary.name} already serves ${active}.`;
    const problems = validateModelDeploymentSpec({
      owner: summary.owner,
      engine: summary.engine,
      model,
    });
    return problems.length ? problems.join('; ') : undefined;
  };
  return (
    <ActionDialog
      open={open}
      onClose={onClose}
      title={`Switch the model of ${summary.name}`}
      submitLabel="Switch"
      validate={validate}
      run={() => onSwitch({ model, strategy })}
    >
      <DialogContentText>Serving {active} now.</DialogContentText>
      <TextField
        // eslint-disable-next-line jsx-a11y/no-autofocus -- the dialog exists for this field
        autoFocus
        fullWidth
        label="Model"
        value={name}
        onChange={e => setName(e.target.value)}
        margin="normal"
        inputProps={{ 'aria-label': 'Model' }}
      />
      <TextField
        fullWidth
        label="Source (optional)"
        placeholder="hf://org/model"
        value={source}
        onChange={e => setSource(e.target.value)}
        margin="normal"
        inputProps={{ 'aria-label': 'Source' }}
      />
      <FormControl fullWidth margin="normal">
        <InputLabel id="model-hosting-strategy">Strategy</InputLabel>
        <Select
          labelId="model-hosting-strategy"
          value={strategy}
          onChange={e => setStrategy(e.target.value as 'recreate' | 'rolling')}
        >
          <MenuItem value="recreate">
            Recreate: free the GPUs first, then start the new model
          </MenuItem>
          <MenuItem value="rolling">
            Rolling: start the new model first when a GPU is free
          </MenuItem>
        </Select>
      </FormControl>
    </ActionDialog>
  );
}

export function ConfirmDialog({
  title,
  text,
  confirmWord,
  submitLabel,
  destructive,
  open,
  onClose,
  onConfirm,
}: {
  title: string;
  text: string;
  confirmWord?: string;
  submitLabel: string;
  destructive?: boolean;
  open: boolean;
  onClose: () => void;
  onConfirm: () => Promise<void>;
}) {
  const [typed, setTyped] = useState('');
  const validate = () =>
    confirmWord && typed !== confirmWord
      ? `Type ${confirmWord} to confirm.`
      : undefined;
  return (
    <ActionDialog
      open={open}
      onClose={onClose}
      title={title}
      submitLabel={submitLabel}
      destructive={destructive}
      validate={validate}
      run={onConfirm}
    >
      <DialogContentText>{text}</DialogContentText>
      {confirmWord && (
        <TextField
          fullWidth
          label={`Type ${confirmWord} to confirm`}
          value={typed}
          onChange={e => setTyped(e.target.value)}
          margin="normal"
          inputProps={{ 'aria-label': 'Confirmation' }}
        />
      )}
    </ActionDialog>
  );
}
