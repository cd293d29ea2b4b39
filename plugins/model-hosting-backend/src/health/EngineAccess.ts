import { KubeConfig } from '@kubernetes/client-node';
import http from 'http';
import fetch, { RequestInit as NodeFetchInit, Response } from 'node-fetch';

// Reused connections to model servers reached directly (the gateway sends many small requests).
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 });
import { DeploymentRef, ModelDeployment } from '@internal/backstage-plugin-model-hosting-common';
import { engineFor } from '../engines';

export interface EngineResponse {
  status: number;
  text: string;
}

/** Calls one model server's HTTP API, however it is reachable from the backend. */
export type EngineCall = (method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs?: number) => Promise<EngineResponse>;

export type AccessMode = 'proxy' | 'clusterDns';

/**
 * How the backend reaches model servers: an explicit endpoint per deployment (configured), else
 * the API server's service proxy (works from outside the cluster), else the Service's cluster DNS
 * name (when the backend runs inside the cluster).
 */
export class EngineAccess {
  constructor(
    private readonly kubeConfigs: Map<string, KubeConfig>,
    private readonly options: { mode: AccessMode; endpoints: Record<string, string>; timeoutMs: number },
  ) {}

  /** Where and how to reach the deployment's server. */
  private target(ref: DeploymentRef, md: ModelDeployment): { base: string; authorize: (init: NodeFetchInit) => Promise<NodeFetchInit> } {
    const port = engineFor(md.spec.engine).port;
    const override = this.options.endpoints[`${ref.cluster}/${ref.namespace}/${ref.name}`];
    const kubeConfig = this.kubeConfigs.get(ref.cluster);
    const direct = async (init: NodeFetchInit) => ({ ...init, agent: (url: URL) => (url.protocol === 'http:' ? keepAlive : undefined) } as NodeFetchInit);
    if (override) return { base: override.replace(/\/$/, ''), authorize: direct };
    if (this.options.mode === 'clusterDns' || !kubeConfig) {
      return { base: `http://${ref.name}.${ref.namespace}.svc.cluster.local:${port}`, authorize: direct };
    }
    return {
      base: `${kubeConfig.getCurrentCluster()!.server}/api/v1/namespaces/${ref.namespace}/services/${ref.name}:${port}/proxy`,
      authorize: async init => (await kubeConfig.applyToFetchOptions(init as any)) as NodeFetchInit,
    };
  }

  /**
   * A raw request to the server, its body left unread (for streaming). The caller passes the
   * signal that aborts it; failures to connect become errors that name the path.
   */
  async request(ref: DeploymentRef, md: ModelDeployment, method: string, path: string, body: string | undefined, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    const { base, authorize } = this.target(ref, md);
    const init = await authorize({ method, headers, body, signal: signal as any });
    return fetch(`${base}${path}`, init);
  }

  client(ref: DeploymentRef, md: ModelDeployment): EngineCall {
    return async (method, path, body, timeoutMs = this.options.timeoutMs) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const res = await this.request(
          ref, md, method, path,
          body === undefined ? undefined : JSON.stringify(body),
          body === undefined ? {} : { 'Content-Type': 'application/json' },
          controller.signal,
        );
        return { status: res.status, text: await res.text() };
      } catch (e) {
        if (controller.signal.aborted) throw new Error(`${method} ${path} timed out after ${timeoutMs} ms`);
        throw new Error(`${method} ${path} failed: ${(e as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    };
  }
}
