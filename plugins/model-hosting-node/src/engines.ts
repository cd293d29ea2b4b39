import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { V1EnvVar, V1Probe } from '@kubernetes/client-node';
import type {
  EngineApiKind,
  ModelDeployment,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import type { MetricFamilies } from './prometheus';

/** The model a pod serves: the spec's, or mid-switch the previous one. */
export type ServedModelSpec = ModelDeployment['spec']['model'];

/** What an engine contributes to the pod; everything else is common to all engines. */
export interface EngineContainer {
  image: string;
  port: number;
  command?: string[];
  args: string[];
  env: V1EnvVar[];
  /** Long startup budget: weights can take many minutes to load. */
  startupProbe: V1Probe;
  readinessProbe: V1Probe;
  livenessProbe: V1Probe;
  /** The image runs as this non-root user: the pod then also gets runAsNonRoot. */
  runAsUser?: number;
}

/** One answer of a model server, read whole (and capped) by the caller. */
export interface ModelServerResponse {
  status: number;
  text: string;
}

/** Calls one model server's HTTP API, however the backend reaches it. */
export type ModelServerCall = (
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs?: number,
) => Promise<ModelServerResponse>;

/** What one health check found. */
export interface ProbeResult {
  healthy: boolean;
  message: string;
  /** False when the backend could not get to the server at all: restarting the pods would not help. */
  recoverable?: boolean;
  /** Models pulled because they were missing (Ollama with autoPull). */
  pulled: string[];
}

/** Cumulative counters one server process reports about the requests it served. */
export interface EngineCounters {
  requests: number;
  promptTokens: number;
  generationTokens: number;
  latencySecondsSum: number;
  latencyCount: number;
}

/** What one server process is busy with right now. */
export interface EngineLoad {
  running: number;
  waiting: number;
  /** Requests served so far (a counter): a change means the server was used. */
  served?: number;
}

/** An engine that exposes Prometheus metrics per server process. */
export interface EngineMetrics {
  /** Where the metrics are, e.g. /metrics. */
  path: string;
  /** Its request counters, or undefined when the text has none of them. */
  counters(metrics: MetricFamilies): EngineCounters | undefined;
  /** Its load gauges, or undefined when the text has none of them. */
  load(metrics: MetricFamilies): EngineLoad | undefined;
}

/**
 * One inference engine: how its pods look, how it is checked, and what its metrics mean. The
 * backend plugin has vllm, ollama, openai (any OpenAI-compatible server) and http (V2 inference)
 * built in; modules add more through {@link modelHostingEnginesExtensionPoint}.
 *
 * @public
 */
export interface EngineAdapter {
  /** The value of spec.engine that selects this adapter: lowercase letters, digits and '-'. */
  engine: string;
  /** Shown in the portal, e.g. "vLLM". */
  title: string;
  apiKind: EngineApiKind;
  defaultImage: string;
  port: number;
  /**
   * Whose count is this engine's usage: `engine` when its own counters (metrics.counters) see every
   * request and are read after each healthy check; `gateway` when the gateway counts what passes.
   */
  metering: 'engine' | 'gateway';
  /** Where the server reads its model cache (the model-cache volume is mounted there). Default /models. */
  cacheMountPath?: string;
  /** A memory-backed /dev/shm of this much per GPU when a replica has several (tensor parallelism). */
  shmPerGpu?: string;
  /**
   * Whether one server process serves several models at once (Ollama): every model of the pool
   * and healthCheck.expectedModels is routable without a switch. Default false: one model at a time.
   */
  multiModel?: boolean;
  /**
   * Whether spec.engineArgs mean anything to this engine (they are its options, appended to its
   * command); an engine configured only through env says false and refuses them. Default true.
   */
  acceptsArgs?: boolean;
  /** Engine configuration kept in the ConfigMap; the container reads it as environment. */
  config(md: ModelDeployment, model: ServedModelSpec): Record<string, string>;
  container(md: ModelDeployment, model: ServedModelSpec): EngineContainer;
  /** One health check; throw {@link ProbeFailure} (or any error) for an unhealthy server. */
  probe(call: ModelServerCall, md: ModelDeployment): Promise<ProbeResult>;
  metrics?: EngineMetrics;
}

/**
 * Adds engines to the model-hosting backend plugin.
 *
 * @public
 */
export interface ModelHostingEnginesExtensionPoint {
  addEngine(...engines: EngineAdapter[]): void;
}

/**
 * Extension point for modules of the model-hosting plugin that add inference engines.
 *
 * @public
 */
export const modelHostingEnginesExtensionPoint =
  createExtensionPoint<ModelHostingEnginesExtensionPoint>({
    id: 'model-hosting.engines',
  });
