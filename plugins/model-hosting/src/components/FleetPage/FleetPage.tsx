import {
  Content,
  ContentHeader,
  EmptyState,
  Header,
  Page,
  Progress,
  ResponseErrorPanel,
  SupportButton,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import useAsync from 'react-use/esm/useAsync';
import { modelHostingApiRef } from '../../api';
import { FleetTable } from './FleetTable';

/** Every ModelDeployment on every configured cluster. */
export const FleetPage = () => {
  const api = useApi(modelHostingApiRef);
  const { value, loading, error } = useAsync(() => api.listDeployments(), [api]);

  return (
    <Page themeId="tool">
      <Header title="Model Hosting" subtitle="Model servers on your Kubernetes clusters" />
      <Content>
        <ContentHeader title="Fleet">
          <SupportButton>
            Every ModelDeployment on every configured cluster, with its engine, model, phase and GPUs.
          </SupportButton>
        </ContentHeader>
        {loading && <Progress />}
        {error && <ResponseErrorPanel error={error} />}
        {value?.clusters
          .filter(c => !c.reachable)
          .map(c => (
            <WarningPanel key={c.name} severity="error" title={`Cluster ${c.name} is unreachable`} message={c.error} />
          ))}
        {value && value.clusters.length === 0 && (
          <EmptyState
            missing="info"
            title="No clusters configured"
            description="Add a cluster under kubernetes.clusterLocatorMethods or modelHosting.clusters in app-config.yaml."
          />
        )}
        {value && value.clusters.length > 0 && value.items.length === 0 && (
          <EmptyState
            missing="data"
            title="No model servers yet"
            description="Create a ModelDeployment resource (see k8s/examples) and it appears here."
          />
        )}
        {value && value.items.length > 0 && <FleetTable items={value.items} />}
      </Content>
    </Page>
  );
};
