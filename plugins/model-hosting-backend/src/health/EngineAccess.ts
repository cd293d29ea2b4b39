import { KubeConfig, V1Pod } from '@kubernetes/client-node';
import {
  DeploymentRef,
  ModelDeployment,
} from '@internal/backstage-plugin-model-hosting-common';
import http from 'http';
import fetch, { RequestInit as NodeFetchInit } from 'node-fetch';
import { engineFor } from '../engines';
import { EngineHttpResponse, plainHttpRequest } from './plainHttp';

// Reused connections to model servers reached directly (the gateway sends many small requests).
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface EngineResponse {
  status: number;
  text: string;
}

/** Calls one model server's HTTP API, however it is reachable from the backend. */
export type EngineCall = (
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs?: number,
) => Promise<EngineResponse>;

export type AccessMode = 'proxy' | 'clusterDns';

/**
 * How the backend reaches model servers: an explicit endpoint per deployment (configured), else
 * the API server's service proxy (works from outside the cluster), else the Service's cluster DNS
 * name (when the backend runs inside the cluster).
 */
export class EngineAccess {
  constructor(
    private readonly kubeConfigs: Map<string, KubeConfig>,
    private readonly options: {
      mode: AccessMode;
      endpoints: Record<string, string>;
      timeoutMs: number;
    },
  ) {}

  private override(ref: DeploymentRef): string | undefined {
    return this.options.endpoints[
      `${ref.cluster}/${ref.namespace}/${ref.name}`
    ];
  }

  /** Where and how to reach the deployment's server: its Service, or one pod of it when given. */
  private target(
    ref: DeploymentRef,
    md: ModelDeployment,
    pod?: V1Pod,
  ): {
    base: string;
    authorize?: (init: NodeFetchInit) => Promise<NodeFetchInit>;
  } {
    const port = engineFor(md.spec.engine).port;
    const override = this.override(ref);
    const kubeConfig = this.kubeConfigs.get(ref.cluster);
    if (override) return { base: override.replace(/\/$/, '') };
    if (this.options.mode === 'clusterDns' || !kubeConfig) {
      return {
        base: pod
          ? `http://${pod.status?.podIP}:${port}`
          : `http://${ref.name}.${ref.namespace}.svc.cluster.local:${port}`,
      };
    }
    const proxied = pod
      ? `pods/${pod.metadata!.name}:${port}`
      : `services/${ref.name}:${port}`;
    return {
      base: `${kubeConfig.getCurrentCluster()!.server}/api/v1/namespaces/${
        ref.namespace
      }/${proxied}/proxy`,
      authorize: async init =>
        (await kubeConfig.applyToFetchOptions(init as any)) as NodeFetchInit,
    };
  }

  /**
   * One caller per server process behind the deployment, for what a Service would blur (each
   * pod's own counters and gauges): its ready pods, or the one configured endpoint.
   */
  perServer(
    ref: DeploymentRef,
    md: ModelDeployment,
    readyPods: V1Pod[],
  ): Array<{ id: string; startedAtMs?: number; call: EngineCall }> {
    if (this.override(ref))
      return [{ id: 'endpoint', call: this.client(ref, md) }];
    return readyPods.map(pod => ({
      id: pod.metadata!.name!,
      startedAtMs: Date.parse(String(pod.status?.startTime)) || undefined,
      call: this.client(ref, md, pod),
    }));
  }

  /**
   * A raw request to the server, its body left unread (for streaming). The caller passes the
   * signal that aborts it; failures to connect become errors that name the path.
   */
  async request(
    ref: DeploymentRef,
    md: ModelDeployment,
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    signal: AbortSignal,
    pod?: V1Pod,
  ): Promise<EngineHttpResponse> {
    const { base, authorize } = this.target(ref, md, pod);
    const url = `${base}${path}`;
    if (!authorize && url.startsWith('http:'))
      return plainHttpRequest(
        url,
        { method, headers, body, signal },
        keepAlive,
      );
    // Through the API server (TLS and the cluster's credentials), or an https endpoint.
    const init = authorize
      ? await authorize({ method, headers, body, signal: signal as any })
      : { method, headers, body, signal: signal as any };
    return (await fetch(url, init)) as unknown as EngineHttpResponse;
  }

  client(ref: DeploymentRef, md: ModelDeployment, pod?: V1Pod): EngineCall {
    return async (method, path, body, timeoutMs = this.options.timeoutMs) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const res = await this.request(
          ref,
          md,
          method,
          path,
          body === undefined ? undefined : JSON.stringify(body),
          body === undefined ? {} : { 'Content-Type': 'application/json' },
          controller.signal,
          pod,
        );
        return { status: res.status, text: await res.text() };
      } catch (e) {
        if (controller.signal.aborted)
          throw new Error(`${method} ${path} timed out after ${timeoutMs} ms`);
        throw new Error(`${method} ${path} failed: ${(e as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    };
  }
}
