import {
  Content,
  ContentHeader,
  EmptyState,
  Header,
  Link,
  LinkButton,
  Page,
  Progress,
  ResponseErrorPanel,
  SupportButton,
  WarningPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  deploymentEntityName,
  FleetFacets,
  FleetQuery,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { Box, Tab, Tabs } from '@material-ui/core';
import AddIcon from '@material-ui/icons/Add';
import { useCallback, useState } from 'react';
import { Route, Routes, useNavigate, useParams } from 'react-router-dom';
import { modelHostingApiRef } from '../../api';
import { deployModelRouteRef, rootRouteRef } from '../../routes';
import { usePolling } from '../../hooks/usePolling';
import { DeploymentView } from '../DeploymentView';
import { GpuCapacity } from '../GpuCapacity';
import { UsageCharts } from '../UsageCharts';
import { FleetTable } from './FleetTable';

/** The scaffolder's template list, filtered to the model-hosting templates (their tag). */
export const templatesLink = (createPath: string) =>
  `${createPath}?${new URLSearchParams({
    'filters[kind]': 'template',
    'filters[user]': 'all',
    'filters[tags]': 'model-hosting',
  })}`;

/** "Deploy a model": to the templates, when the app has a scaffolder to link to. */
function DeployButton() {
  const createRoute = useRouteRef(deployModelRouteRef);
  if (!createRoute) return null;
  return (
    <LinkButton
      to={templatesLink(createRoute())}
      variant="contained"
      color="primary"
      startIcon={<AddIcon />}
    >
      Deploy a model
    </LinkButton>
  );
}

const NO_FACETS: FleetFacets = {
  cluster: [],
  engine: [],
  model: [],
  phase: [],
  owner: [],
};

function FleetOverview() {
  const api = useApi(modelHostingApiRef);
  const [tab, setTab] = useState(0);
  // The fleet's summary: its clusters, how many deployments, the filters' values (no rows: the
  // table asks for its page itself).
  const fleet = usePolling(
    () => api.listDeployments({ limit: 0, facets: true }),
    [api],
  );
  const loadPage = useCallback(
    (query: FleetQuery) => api.listDeployments(query),
    [api],
  );
  const capacity = usePolling(() => api.getCapacity(), [api], 10_000);
  const value = fleet.value;
  // A backend that does not page answers every row (and no total): count those.
  const total = value && (value.total ?? value.items.length);
  return (
    <Page themeId="tool">
      <Header
        title="Model Hosting"
        subtitle="Model servers and GPUs on your Kubernetes clusters"
      />
      <Content>
        <ContentHeader title="Fleet">
          <DeployButton />
          <SupportButton>
            Every ModelDeployment on every configured cluster, with its engine,
            model, phase and GPUs, and the GPUs of each cluster.
          </SupportButton>
        </ContentHeader>
        <Tabs
          value={tab}
          onChange={(_e, v) => setTab(v)}
          aria-label="Fleet views"
          indicatorColor="primary"
        >
          <Tab
            label="Model servers"
            id="fleet-tab-0"
            aria-controls="fleet-panel-0"
          />
          <Tab label="GPUs" id="fleet-tab-1" aria-controls="fleet-panel-1" />
          <Tab label="Usage" id="fleet-tab-2" aria-controls="fleet-panel-2" />
        </Tabs>
        <Box
          mt={2}
          role="tabpanel"
          id={`fleet-panel-${tab}`}
          aria-labelledby={`fleet-tab-${tab}`}
        >
          {fleet.error && (
            <ResponseErrorPanel
              error={fleet.error}
              title={
                value
                  ? 'Could not refresh; showing the last known state'
                  : undefined
              }
            />
          )}
          {value?.clusters
            .filter(c => !c.reachable)
            .map(c => (
              <WarningPanel
                key={c.name}
                severity="error"
                title={`Cluster ${c.name} is unreachable`}
                message={c.error}
              />
            ))}
          {tab === 0 && (
            <>
              {value && value.clusters.length === 0 && (
                <EmptyState
                  missing="info"
                  title="No clusters configured"
                  description="Add a cluster under kubernetes.clusterLocatorMethods or modelHosting.clusters in app-config.yaml."
                />
              )}
              {value && value.clusters.length > 0 && total === 0 && (
                <EmptyState
                  missing="data"
                  title="No model servers yet"
                  description="Create one with a software template, or apply a ModelDeployment (see k8s/examples)."
                  action={<DeployButton />}
                />
              )}
              {/* The table asks for its first page while the summary is on its way. */}
              {(value ? !!total : !fleet.error) && (
                <FleetTable
                  facets={value?.facets ?? NO_FACETS}
                  load={loadPage}
                />
              )}
            </>
          )}
          {tab === 1 && (
            <>
              {capacity.loading && !capacity.value && <Progress />}
              {capacity.error && !capacity.value && (
                <ResponseErrorPanel error={capacity.error} />
              )}
              {capacity.value && (
                <GpuCapacity clusters={capacity.value.clusters} />
              )}
            </>
          )}
          {tab === 2 && <UsageCharts />}
        </Box>
      </Content>
    </Page>
  );
}

function DeploymentPage() {
  const { cluster = '', namespace = '', name = '' } = useParams();
  const navigate = useNavigate();
  const entityRoute = useRouteRef(entityRouteRef);
  const fleetPath = useRouteRef(rootRouteRef)();
  const catalogLink = entityRoute({
    kind: 'component',
    namespace: 'default',
    name: deploymentEntityName({ cluster, namespace, name }),
  });
  return (
    <Page themeId="tool">
      <Header
        title={name}
        subtitle={`${cluster} / ${namespace}`}
        type="Model server"
      />
      <Content>
        <Box mb={2}>
          <Link to={fleetPath}>← All model servers</Link>
        </Box>
        <DeploymentView
          deploymentRef={{ cluster, namespace, name }}
          catalogLink={catalogLink}
          onDeleted={() => navigate(fleetPath)}
        />
      </Content>
    </Page>
  );
}

/** The plugin's page: the fleet, and one deployment under /deployments/:cluster/:namespace/:name. */
export const FleetPage = () => (
  <Routes>
    <Route path="/" element={<FleetOverview />} />
    <Route
      path="/deployments/:cluster/:namespace/:name"
      element={<DeploymentPage />}
    />
  </Routes>
);
