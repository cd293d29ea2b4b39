import { Link, Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { DeploymentRef } from '@modelhosting/backstage-plugin-model-hosting-common';
import { Grid } from '@material-ui/core';
import { modelHostingApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { ActionsBar } from './ActionsBar';
import { EventsTable, PodsTable } from './PodsAndEvents';
import { HealthHistory } from './HealthHistory';
import { UsageCharts } from '../UsageCharts';
import { StatusCard } from './StatusCard';
import { ModelsCard } from './ModelsCard';
import { useState } from 'react';

/**
 * Live state of one ModelDeployment and its actions; shared by the plugin's own page and the
 * catalog entity tab.
 */
export function DeploymentView({
  deploymentRef,
  catalogLink,
  onDeleted,
}: {
  deploymentRef: DeploymentRef;
  catalogLink?: string;
  onDeleted?: () => void;
}) {
  const api = useApi(modelHostingApiRef);
  const { value, error, loading, refresh } = usePolling(
    () => api.getDeployment(deploymentRef),
    [api, deploymentRef.cluster, deploymentRef.namespace, deploymentRef.name],
    2000,
  );
  // Bumped after an action, so the cards with their own polling read again at once.
  const [changes, setChanges] = useState(0);
  const changed = () => {
    refresh();
    setChanges(c => c + 1);
  };
  if (loading && !value) return <Progress />;
  if (error && !value) return <ResponseErrorPanel error={error} />;
  if (!value) return null;
  return (
    <Grid container spacing={3}>
      {error && (
        <Grid item xs={12}>
          <ResponseErrorPanel
            error={error}
            title="Could not refresh; showing the last known state"
          />
        </Grid>
      )}
      <Grid item xs={12}>
        <ActionsBar
          summary={value.summary}
          resource={value.resource}
          onChanged={changed}
          onDeleted={onDeleted}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <StatusCard detail={value} />
        {catalogLink && <Link to={catalogLink}>Open in the catalog</Link>}
      </Grid>
      <Grid item xs={12} md={6}>
        <HealthHistory deploymentRef={deploymentRef} refreshKey={changes} />
      </Grid>
      <Grid item xs={12}>
        <ModelsCard
          deploymentRef={deploymentRef}
          resource={value.resource}
          refreshKey={changes}
        />
      </Grid>
      <Grid item xs={12}>
        <EventsTable events={value.events} />
      </Grid>
      <Grid item xs={12}>
        <UsageCharts deploymentRef={deploymentRef} />
      </Grid>
      <Grid item xs={12}>
        <PodsTable pods={value.pods} />
      </Grid>
    </Grid>
  );
}
