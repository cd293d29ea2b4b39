import { LoggerService } from '@backstage/backend-plugin-api';
import { FleetResponse } from '@internal/backstage-plugin-model-hosting-common';
import { ClusterClients } from '../cluster/ClusterClients';
import { summarize } from './summarize';

/** Every ModelDeployment on every cluster; a cluster that is down is reported, not fatal. */
export class FleetService {
  constructor(
    private readonly clients: ClusterClients,
    private readonly logger: LoggerService,
  ) {}

  async listDeployments(): Promise<FleetResponse> {
    const results = await Promise.allSettled(
      this.clients.clusterNames.map(async cluster => ({
        cluster,
        items: await this.clients.listModelDeployments(cluster),
      })),
    );
    const response: FleetResponse = { items: [], clusters: [] };
    results.forEach((result, i) => {
      const name = this.clients.clusterNames[i];
      if (result.status === 'fulfilled') {
        response.clusters.push({ name, reachable: true });
        response.items.push(...result.value.items.map(md => summarize(name, md)));
      } else {
        const error = (result.reason as Error).message;
        this.logger.warn(`Cannot list ModelDeployments on cluster ${name}: ${error}`);
        response.clusters.push({ name, reachable: false, error });
      }
    });
    response.items.sort((a, b) =>
      `${a.cluster}/${a.namespace}/${a.name}`.localeCompare(`${b.cluster}/${b.namespace}/${b.name}`),
    );
    return response;
  }
}
