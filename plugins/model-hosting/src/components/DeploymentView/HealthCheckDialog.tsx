import { StatusError, StatusOK } from '@backstage/core-components';
import {
  Box,
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Typography,
} from '@material-ui/core';
import Alert from '@material-ui/lab/Alert';
import { HealthCheckResponse } from '@modelhosting/backstage-plugin-model-hosting-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../errorMessage';

/**
 * Runs one health check as soon as it opens (the same check the scheduled rounds run) and shows
 * its result: healthy or not, the engine's message, the latency.
 */
export function HealthCheckDialog({
  name,
  open,
  onClose,
  check,
  onChecked,
}: {
  name: string;
  open: boolean;
  onClose: () => void;
  check: () => Promise<HealthCheckResponse>;
  /** After each check: its result is in the status and the history too. */
  onChecked: () => void;
}) {
  const [busy, setBusy] = useState(true);
  const [result, setResult] = useState<HealthCheckResponse>();
  const [error, setError] = useState<string>();
  const alive = useRef(true);
  const checkRef = useRef(check);
  checkRef.current = check;
  const onCheckedRef = useRef(onChecked);
  onCheckedRef.current = onChecked;

  const run = useCallback(async () => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await checkRef.current();
      if (!alive.current) return;
      setResult(r);
      onCheckedRef.current();
    } catch (e) {
      if (alive.current) setError(errorMessage(e));
    } finally {
      if (alive.current) setBusy(false);
    }
  }, []);

  // Once per opening, also where effects run twice (React's strict mode).
  const started = useRef(false);
  useEffect(() => {
    alive.current = true;
    if (!started.current) {
      started.current = true;
      run();
    }
    return () => {
      alive.current = false;
    };
  }, [run]);

  return (
    <Dialog
      open={open}
      onClose={onClose}
      aria-labelledby="model-hosting-health-title"
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id="model-hosting-health-title">
        Health of {name}
      </DialogTitle>
      <DialogContent aria-busy={busy}>
        {busy && (
          <Box display="flex" alignItems="center" style={{ gap: 12 }} mb={2}>
            <CircularProgress size={20} aria-label="Checking" />
            <Typography>Checking {name} now…</Typography>
          </Box>
        )}
        {result && !busy && (
          <Box aria-label="Health check result" role="region">
            <Typography variant="h6" component="p">
              {result.healthy ? (
                <StatusOK>Healthy</StatusOK>
              ) : (
                <StatusError>Unhealthy</StatusError>
              )}
            </Typography>
            <Typography>{result.message}</Typography>
            <Typography variant="body2" color="textSecondary">
              Answered in {result.latencyMs} ms, checked at{' '}
              {new Date(result.checkedAt).toLocaleTimeString()}.
            </Typography>
          </Box>
        )}
        {error && (
          <Alert severity="error" role="alert">
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
        <Button
          onClick={run}
          color="primary"
          variant="contained"
          disabled={busy}
        >
          Check again
        </Button>
      </DialogActions>
    </Dialog>
  );
}
