import http from 'http';
import https from 'https';
import { KubeConfig, V1Pod } from '@kubernetes/client-node';
import {
  DeploymentRef,
  ModelDeployment,
  refKey,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { ModelServerCall } from '@modelhosting/backstage-plugin-model-hosting-node';
import { AccessMode } from '../config';
import { httpRequest, ModelServerHttpResponse } from './httpRequest';

/** Paths sent to model servers: absolute, plain segments, no traversal, no query or fragment. */
const SAFE_PATH = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]*)+$/;

/** Refuses a path that could leave the model server's API once appended to a proxy URL. */
export function checkModelServerPath(path: string): void {
  const segments = path.split('/');
  if (
    !SAFE_PATH.test(path) ||
    segments.some(s => s === '.' || s === '..') ||
    /%2e|%2f|%5c/i.test(path)
  ) {
    throw new Error(
      `refused path '${path.slice(
        0,
        100,
      )}': it must be absolute, without '.' or '..' segments, encoded dots or slashes, query or fragment`,
    );
  }
}

/** Reaches each server process of a deployment on its own. */
export interface PerServerAccess {
  perServer(
    ref: DeploymentRef,
    md: ModelDeployment,
    readyPods: V1Pod[],
  ): Array<{ id: string; startedAtMs?: number; call: ModelServerCall }>;
}

export interface ModelServerAccessOptions {
  mode: AccessMode;
  /** Explicit model-server URLs by `cluster/namespace/name`, overriding the mode. */
  endpoints: Record<string, string>;
  /** Timeout of one call, unless the caller gives its own. */
  timeoutMs: number;
  /** Longest answer a call reads whole. */
  maxResponseBytes: number;
}

interface Target {
  url: string;
  headers: Record<string, string>;
  agent: http.Agent;
  /** Bodies go chunked (see httpRequest): through the API server's proxy. */
  chunked?: boolean;
}

/**
 * How the backend reaches model servers: through the API server's service or pod proxy (works
 * from outside the cluster; the default), by cluster DNS name or pod IP (backend in the cluster),
 * or at an explicit endpoint per deployment. Every call carries its body, its timeout and an
 * abort signal; redirects are never followed and answers are read up to a cap.
 */
export class ModelServerAccess {
  /** Keep-alive connections, per cluster API server and for servers reached directly. */
  private readonly direct = new http.Agent({
    keepAlive: true,
    maxSockets: 256,
  });
  private readonly proxies = new Map<string, https.Agent | http.Agent>();

  constructor(
    private readonly kubeConfigOf: (cluster: string) => KubeConfig | undefined,
    private readonly options: ModelServerAccessOptions,
    private readonly portOf: (md: ModelDeployment) => number,
  ) {}

  private override(ref: DeploymentRef): string | undefined {
    return this.options.endpoints[refKey(ref)];
  }

  private async target(
    ref: DeploymentRef,
    md: ModelDeployment,
    path: string,
    pod?: V1Pod,
  ): Promise<Target> {
    checkModelServerPath(path);
    const port = this.portOf(md);
    const override = this.override(ref);
    if (override)
      return {
        url: `${override.replace(/\/$/, '')}${path}`,
        headers: {},
        agent: this.direct,
      };
    const kubeConfig = this.kubeConfigOf(ref.cluster);
    if (this.options.mode === 'clusterDns' || !kubeConfig) {
      const host = pod
        ? pod.status?.podIP
        : `${ref.name}.${ref.namespace}.svc.cluster.local`;
      if (!host) throw new Error(`pod ${pod?.metadata?.name} has no IP yet`);
      return {
        url: `http://${host}:${port}${path}`,
        headers: {},
        agent: this.direct,
      };
    }
    // The API server's proxy, with the cluster's credentials (fresh each call: tokens rotate).
    const proxied = pod
      ? `pods/${pod.metadata!.name}:${port}`
      : `services/${ref.name}:${port}`;
    const server = kubeConfig.getCurrentCluster()!.server.replace(/\/$/, '');
    const opts: https.RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(opts);
    const headers = Object.fromEntries(
      Object.entries(opts.headers ?? {}).map(([k, v]) => [k, String(v)]),
    );
    if (opts.auth)
      headers.Authorization = `Basic ${Buffer.from(opts.auth).toString(
        'base64',
      )}`;
    return {
      url: `${server}/api/v1/namespaces/${encodeURIComponent(
        ref.namespace,
      )}/${proxied}/proxy${path}`,
      headers,
      agent: this.proxyAgent(ref.cluster, server, opts),
      chunked: true,
    };
  }

  private proxyAgent(
    cluster: string,
    server: string,
    opts: https.RequestOptions,
  ) {
    let agent = this.proxies.get(cluster);
    if (!agent) {
      agent = server.startsWith('https:')
        ? new https.Agent({
            keepAlive: true,
            maxSockets: 256,
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            rejectUnauthorized: opts.rejectUnauthorized,
            servername: opts.servername,
          })
        : new http.Agent({ keepAlive: true, maxSockets: 256 });
      this.proxies.set(cluster, agent);
    }
    return agent;
  }

  /**
   * A raw request to the server, its body left unread (for streaming). The caller's signal
   * aborts it; failures to connect become errors that name the path.
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
  ): Promise<ModelServerHttpResponse> {
    const target = await this.target(ref, md, path, pod);
    return httpRequest(target.url, {
      method,
      headers: { ...headers, ...target.headers },
      body,
      signal,
      agent: target.agent,
      chunked: target.chunked,
    });
  }

  /** A caller of the deployment's server (its Service), or of one pod of it. */
  client(
    ref: DeploymentRef,
    md: ModelDeployment,
    pod?: V1Pod,
  ): ModelServerCall {
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
        return {
          status: res.status,
          text: await res.text(this.options.maxResponseBytes),
        };
      } catch (e) {
        if (controller.signal.aborted) {
          throw new Error(`${method} ${path} timed out after ${timeoutMs} ms`);
        }
        throw new Error(`${method} ${path} failed: ${(e as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
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
  ): Array<{ id: string; startedAtMs?: number; call: ModelServerCall }> {
    if (this.override(ref))
      return [{ id: 'endpoint', call: this.client(ref, md) }];
    return readyPods.map(pod => ({
      id: pod.metadata!.name!,
      startedAtMs: Date.parse(String(pod.status?.startTime)) || undefined,
      call: this.client(ref, md, pod),
    }));
  }

  stop() {
    this.direct.destroy();
    for (const agent of this.proxies.values()) agent.destroy();
  }
}
