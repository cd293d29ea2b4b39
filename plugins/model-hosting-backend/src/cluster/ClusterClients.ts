import { ServiceUnavailableError } from '@backstage/errors';
import { CustomObjectsApi } from '@kubernetes/client-node';
import {
  MODEL_DEPLOYMENT,
  ModelDeployment,
} from '@internal/backstage-plugin-model-hosting-common';
import { ClusterDefinition } from './clusterConfig';

/** The only place that talks to Kubernetes API servers. */
export class ClusterClients {
  private readonly byName: Map<string, { custom: CustomObjectsApi }>;

  constructor(
    readonly clusters: ClusterDefinition[],
    private readonly timeoutMs: number,
  ) {
    this.byName = new Map(
      clusters.map(c => [c.name, { custom: c.kubeConfig.makeApiClient(CustomObjectsApi) }]),
    );
  }

  get clusterNames(): string[] {
    return this.clusters.map(c => c.name);
  }

  async listModelDeployments(cluster: string): Promise<ModelDeployment[]> {
    const { custom } = this.client(cluster);
    const list = await this.call(cluster, () =>
      custom.listClusterCustomObject({
        group: MODEL_DEPLOYMENT.group,
        version: MODEL_DEPLOYMENT.version,
        plural: MODEL_DEPLOYMENT.plural,
      }),
    );
    return list.items as ModelDeployment[];
  }

  private client(cluster: string) {
    const client = this.byName.get(cluster);
    if (!client) throw new Error(`Unknown cluster '${cluster}'`);
    return client;
  }

  /** Turns "cannot reach the API server" into a 503 that names the cluster. */
  private async call<T>(cluster: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ServiceUnavailableError(`Cluster '${cluster}' did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (e) {
      if (isConnectionError(e)) {
        throw new ServiceUnavailableError(`Cluster '${cluster}' is unreachable: ${(e as Error).message}`);
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
}

function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string }; name?: string; type?: string };
  const code = err?.code ?? err?.cause?.code;
  return (
    err?.type === 'system' || // node-fetch's FetchError for socket-level failures
    ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code ?? '')
  );
}
