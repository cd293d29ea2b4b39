import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { KubeConfig } from '@kubernetes/client-node';
import { Counter } from '../metrics';
import { ClusterCache } from './ClusterCache';
import { ClusterDefinition } from './clusterConfig';
import { KubeGateway } from './KubeGateway';
import { withKeepAlive } from './keepAlive';

/** One configured cluster: its credentials, its watch cache and every write to it. */
export interface Cluster {
  name: string;
  kubeConfig: KubeConfig;
  cache: ClusterCache;
  gateway: KubeGateway;
}

/** Every configured cluster's cache and gateway: the only code that talks to API servers. */
export class Clusters {
  private readonly clusters = new Map<string, Cluster>();

  constructor(
    definitions: ClusterDefinition[],
    options: {
      requestTimeoutMs: number;
      /** How often each watch cache lists everything again. */
      relistMs?: number;
      /** This backend instance, as Events and Leases name it. */
      identity: string;
      logger: LoggerService;
      reads?: Counter;
      writes?: Counter;
    },
  ) {
    for (const def of definitions) {
      const log = options.logger.child({ cluster: def.name });
      // One connection pool per API server, instead of a TLS handshake per request.
      withKeepAlive(def.kubeConfig);
      this.clusters.set(def.name, {
        name: def.name,
        kubeConfig: def.kubeConfig,
        cache: new ClusterCache(
          def.name,
          def.kubeConfig,
          log,
          options.reads,
          options.relistMs,
        ),
        gateway: new KubeGateway(
          def.name,
          def.kubeConfig,
          options.requestTimeoutMs,
          options.identity,
          log,
          options.writes,
        ),
      });
    }
  }

  start() {
    for (const c of this.clusters.values()) c.cache.start();
  }

  stop() {
    for (const c of this.clusters.values()) c.cache.stop();
  }

  get names(): string[] {
    return [...this.clusters.keys()];
  }

  all(): Cluster[] {
    return [...this.clusters.values()];
  }

  /** A cluster by name: 400 for a name nobody configured. */
  get(name: string): Cluster {
    const cluster = this.clusters.get(name);
    if (!cluster) {
      throw new InputError(
        `Unknown cluster '${name}'; configured clusters: ${
          this.names.join(', ') || 'none'
        }`,
      );
    }
    return cluster;
  }

  /** A cluster whose cache can answer: 503 while it is unreachable or still listing. */
  readable(name: string): Cluster {
    const cluster = this.get(name);
    if (!cluster.cache.synced) {
      throw new ServiceUnavailableError(
        `Cluster '${name}' is ${
          cluster.cache.error
            ? `unreachable: ${cluster.cache.error}`
            : 'still loading'
        }`,
      );
    }
    return cluster;
  }
}
