import { Box, Button, Tooltip } from '@material-ui/core';
import { usePermission } from '@backstage/plugin-permission-react';
import { ResourcePermission } from '@backstage/plugin-permission-common';
import { useApi } from '@backstage/core-plugin-api';
import {
  DeploymentSummary,
  ModelDeployment,
  modelDeploymentDeletePermission,
  modelDeploymentRestartPermission,
  modelDeploymentScalePermission,
  modelDeploymentSwitchPermission,
  modelDeploymentUpdatePermission,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { useState } from 'react';
import { modelHostingApiRef } from '../../api';
import { AutoscaleDialog } from './AutoscaleDialog';
import { ConfirmDialog, ScaleDialog, SwitchDialog } from './dialogs';
import { EditDialog } from './EditDialog';
import { HealthCheckDialog } from './HealthCheckDialog';

type Action =
  | 'edit'
  | 'scale'
  | 'autoscale'
  | 'switch'
  | 'health'
  | 'restart'
  | 'delete';

/** A button that is disabled, with the reason in a tooltip, when the permission framework says no. */
function PermittedButton({
  permission,
  resourceRef,
  label,
  what,
  onClick,
  color,
}: {
  permission: ResourcePermission<'catalog-entity'>;
  resourceRef: string;
  label: string;
  what: string;
  onClick: () => void;
  color?: 'secondary';
}) {
  const { allowed, loading } = usePermission({ permission, resourceRef });
  const button = (
    <Button
      variant="outlined"
      color={color ?? 'primary'}
      onClick={onClick}
      disabled={loading || !allowed}
      aria-label={label}
    >
      {label}
    </Button>
  );
  if (loading || allowed) return button;
  // A disabled button gets no hover events: the span carries the tooltip and keeps it focusable.
  return (
    <Tooltip title={`You may not ${what} this model server; its owners may.`}>
      <span
        // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex -- keyboard users reach the reason
        tabIndex={0}
        aria-label={`${label} (not allowed: only owners may ${what})`}
      >
        {button}
      </span>
    </Tooltip>
  );
}

/**
 * The actions on one deployment, each behind its permission. Edit and Autoscaling show what
 * would change (a dry run) before they apply; Check health now shows the check's result.
 */
export function ActionsBar({
  summary,
  resource,
  onChanged,
  onDeleted,
}: {
  summary: DeploymentSummary;
  resource: ModelDeployment;
  onChanged: () => void;
  onDeleted?: () => void;
}) {
  const api = useApi(modelHostingApiRef);
  const [open, setOpen] = useState<Action>();
  const close = () => setOpen(undefined);
  const ref = {
    cluster: summary.cluster,
    namespace: summary.namespace,
    name: summary.name,
  };
  const done = (fn: () => Promise<void>) => async () => {
    await fn();
    onChanged();
  };
  return (
    <Box
      display="flex"
      flexWrap="wrap"
      style={{ gap: 8 }}
      role="toolbar"
      aria-label="Actions"
    >
      <PermittedButton
        permission={modelDeploymentUpdatePermission}
        resourceRef={summary.entityRef}
        label="Edit"
        what="edit"
        onClick={() => setOpen('edit')}
      />
      <PermittedButton
        permission={modelDeploymentScalePermission}
        resourceRef={summary.entityRef}
        label="Scale"
        what="scale"
        onClick={() => setOpen('scale')}
      />
      <PermittedButton
        permission={modelDeploymentScalePermission}
        resourceRef={summary.entityRef}
        label="Autoscaling"
        what="change the autoscaling of"
        onClick={() => setOpen('autoscale')}
      />
      <PermittedButton
        permission={modelDeploymentSwitchPermission}
        resourceRef={summary.entityRef}
        label="Switch model"
        what="switch the model of"
        onClick={() => setOpen('switch')}
      />
      <PermittedButton
        permission={modelDeploymentUpdatePermission}
        resourceRef={summary.entityRef}
        label="Check health now"
        what="check the health of"
        onClick={() => setOpen('health')}
      />
      <PermittedButton
        permission={modelDeploymentRestartPermission}
        resourceRef={summary.entityRef}
        label="Restart"
        what="restart"
        onClick={() => setOpen('restart')}
      />
      <PermittedButton
        permission={modelDeploymentDeletePermission}
        resourceRef={summary.entityRef}
        label="Delete"
        what="delete"
        color="secondary"
        onClick={() => setOpen('delete')}
      />
      {open === 'edit' && (
        <EditDialog
          open
          resource={resource}
          onClose={close}
          onEdit={(fields, dryRun) => api.edit(ref, fields, { dryRun })}
          onApplied={onChanged}
        />
      )}
      {open === 'autoscale' && (
        <AutoscaleDialog
          open
          resource={resource}
          onClose={close}
          onAutoscale={(settings, dryRun) =>
            api.autoscale(ref, settings, { dryRun })
          }
          onApplied={onChanged}
        />
      )}
      {open === 'health' && (
        <HealthCheckDialog
          open
          name={summary.name}
          onClose={close}
          check={() => api.checkHealth(ref)}
          onChecked={onChanged}
        />
      )}
      {open === 'scale' && (
        <ScaleDialog
          open
          summary={summary}
          onClose={close}
          onScale={n => done(() => api.scale(ref, n))()}
        />
      )}
      {open === 'switch' && (
        <SwitchDialog
          open
          summary={summary}
          onClose={close}
          onSwitch={r => done(() => api.switchModel(ref, r))()}
        />
      )}
      {open === 'restart' && (
        <ConfirmDialog
          open
          title={`Restart ${summary.name}?`}
          text="Every pod is replaced; the model reloads."
          submitLabel="Restart"
          onClose={close}
          onConfirm={done(() => api.restart(ref))}
        />
      )}
      {open === 'delete' && (
        <ConfirmDialog
          open
          destructive
          title={`Delete ${summary.name}?`}
          text={`The model server, its pods and its Service are removed from ${summary.cluster}/${summary.namespace}. This cannot be undone.`}
          confirmWord={summary.name}
          submitLabel="Delete"
          onClose={close}
          onConfirm={async () => {
            await api.delete(ref);
            onDeleted?.();
          }}
        />
      )}
    </Box>
  );
}
