import {
  Box,
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  List,
  ListItem,
  ListItemText,
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import Alert from '@material-ui/lab/Alert';
import {
  ChildChange,
  EditResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { ReactNode, useState } from 'react';
import { errorMessage } from '../errorMessage';
import { formatValue } from './specEdit';

const useStyles = makeStyles(theme => ({
  head: { whiteSpace: 'nowrap', wordBreak: 'normal' },
  value: {
    fontFamily: theme.typography.fontFamily,
    wordBreak: 'normal',
    overflowWrap: 'anywhere',
  },
  path: { whiteSpace: 'nowrap', wordBreak: 'normal' },
}));

const verb: Record<ChildChange['change'], string> = {
  create: 'created',
  update: 'updated',
  delete: 'removed',
};

/** True when the Deployment's pod template changes: Kubernetes replaces the pods. */
const replacesPods = (cluster: ChildChange[]) =>
  cluster.some(
    c =>
      c.kind === 'Deployment' &&
      c.change === 'update' &&
      c.paths.some(p => p.startsWith('spec.template')),
  );

/** What a dry run says an edit changes: in the spec (path: from → to) and in the cluster. */
export function DryRunResult({ result }: { result: EditResponse }) {
  const classes = useStyles();
  if (result.changes.length === 0)
    return (
      <Alert severity="info" role="note">
        Nothing changes: the deployment already has these settings.
      </Alert>
    );
  return (
    <>
      <Typography variant="subtitle2" component="h3">
        In the ModelDeployment ({result.changes.length})
      </Typography>
      <Table size="small" aria-label="Changes to the spec">
        <TableHead>
          <TableRow>
            <TableCell className={classes.head}>Field</TableCell>
            <TableCell className={classes.head}>Now</TableCell>
            <TableCell className={classes.head}>After</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {result.changes.map(c => (
            <TableRow key={c.path}>
              <TableCell className={classes.path}>
                <code>spec.{c.path}</code>
              </TableCell>
              <TableCell className={classes.value}>
                {formatValue(c.from)}
              </TableCell>
              <TableCell className={classes.value}>
                {formatValue(c.to)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Box mt={2}>
        <Typography variant="subtitle2" component="h3">
          In the cluster
        </Typography>
        {result.cluster.length === 0 ? (
          <Typography variant="body2">
            Nothing changes in the cluster's objects.
          </Typography>
        ) : (
          <List dense aria-label="Changes in the cluster" disablePadding>
            {result.cluster.map(c => (
              <ListItem key={`${c.kind}/${c.name}`} disableGutters>
                <ListItemText
                  primary={`${c.kind} ${c.name}: ${verb[c.change]}`}
                  secondary={c.paths.length ? c.paths.join(', ') : undefined}
                  secondaryTypographyProps={{ className: classes.value }}
                />
              </ListItem>
            ))}
          </List>
        )}
        {replacesPods(result.cluster) && (
          <Alert severity="warning" role="note">
            The pod template changes: Kubernetes replaces the pods and the model
            loads again.
          </Alert>
        )}
      </Box>
    </>
  );
}

/**
 * A form whose "Review" runs the action as a dry run and shows what would change, and whose
 * "Apply" then runs it for real with the same input. The backend's errors are shown as they
 * come (the field at fault, "Refused by …", a conflict).
 */
export function DryRunDialog<T>(props: {
  open: boolean;
  title: string;
  onClose: () => void;
  /** The input to send, or the problems that keep it from being sent. */
  prepare: () => { input?: T; problems: string[] };
  send: (input: T, dryRun: boolean) => Promise<EditResponse>;
  onApplied: (result: EditResponse) => void;
  maxWidth?: 'sm' | 'md';
  children: ReactNode;
}) {
  const [busy, setBusy] = useState<'review' | 'apply'>();
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const [review, setReview] = useState<{ input: T; result: EditResponse }>();

  const runReview = async () => {
    setError(undefined);
    const { input, problems: found } = props.prepare();
    setProblems(found);
    if (found.length || input === undefined) return;
    setBusy('review');
    try {
      setReview({ input, result: await props.send(input, true) });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(undefined);
    }
  };
  const apply = async () => {
    if (!review) return;
    setError(undefined);
    setBusy('apply');
    try {
      const result = await props.send(review.input, false);
      setBusy(undefined);
      props.onApplied(result);
      props.onClose();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(undefined);
    }
  };
  const spinner = (what: 'review' | 'apply') =>
    busy === what ? <CircularProgress size={16} /> : undefined;

  return (
    <Dialog
      open={props.open}
      onClose={busy ? undefined : props.onClose}
      aria-labelledby="model-hosting-dry-run-title"
      fullWidth
      maxWidth={props.maxWidth ?? 'sm'}
    >
      <DialogTitle id="model-hosting-dry-run-title">
        {review ? `${props.title}: review` : props.title}
      </DialogTitle>
      <DialogContent dividers>
        {/* Kept mounted while reviewing, so Back returns to the form as it was. */}
        <Box display={review ? 'none' : 'block'}>{props.children}</Box>
        {review && <DryRunResult result={review.result} />}
        {problems.length > 0 && (
          <Alert severity="error" role="alert">
            {problems.length === 1 ? (
              problems[0]
            ) : (
              <ul style={{ margin: 0, paddingLeft: 16 }}>
                {problems.map(p => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
          </Alert>
        )}
        {error && (
          <Alert severity="error" role="alert">
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={!!busy}>
          Cancel
        </Button>
        {review ? (
          <>
            <Button
              onClick={() => {
                setReview(undefined);
                setError(undefined);
              }}
              disabled={!!busy}
            >
              Back
            </Button>
            <Button
              onClick={apply}
              color="primary"
              variant="contained"
              disabled={!!busy || review.result.changes.length === 0}
              startIcon={spinner('apply')}
            >
              Apply
            </Button>
          </>
        ) : (
          <Button
            onClick={runReview}
            color="primary"
            variant="contained"
            disabled={!!busy}
            startIcon={spinner('review')}
          >
            Review
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}
