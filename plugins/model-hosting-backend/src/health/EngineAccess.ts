import { KubeConfig } from '@kubernetes/client-node';
import fetch, { RequestInit as NodeFetchInit } from 'node-fetch';
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

  client(ref: DeploymentRef, md: ModelDeployment): EngineCall {
    const port = engineFor(md.spec.engine).port;
    const override = this.options.endpoints[`${ref.cluster}/${ref.namespace}/${ref.name}`];
    const kubeConfig = this.kubeConfigs.get(ref.cluster);
    let base: string;
    let authorize = async (init: NodeFetchInit) => init;
    if (override) {
      base = override.replace(/\/$/, '');
    } else if (this.options.mode === 'clusterDns' || !kubeConfig) {
      base = `http://${ref.name}.${ref.namespace}.svc.cluster.local:${port}`;
    } else {
      base = `${kubeConfig.getCurrentCluster()!.server}/api/v1/namespaces/${ref.namespace}/services/${ref.name}:${port}/proxy`;
      authorize = async init => (await kubeConfig.applyToFetchOptions(init as any)) as NodeFetchInit;
    }
    return async (method, path, body, timeoutMs = this.options.timeoutMs) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const init = await authorize({
          method,
          headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal as any,
        });
        const res = await fetch(`${base}${path}`, init);
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
