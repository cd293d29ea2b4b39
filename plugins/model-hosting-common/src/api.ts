import type {
  ModelDeployment,
  ModelDeploymentPhase,
  ModelDeploymentSpec,
  ModelDeploymentStatus,
  ModelEngine,
} from './modelDeployment';

/** One row of the fleet view: a ModelDeployment on one cluster. */
export interface DeploymentSummary {
  cluster: string;
  namespace: string;
  name: string;
  /** The catalog entity of the deployment's model-server Component. */
  entityRef: string;
  owner: string;
  engine: ModelEngine;
  model: string;
  activeModel?: string;
  phase?: ModelDeploymentPhase;
  replicas: number;
  readyReplicas: number;
  gpu: { count: number; resource: string; product?: string };
  autoscaling?: { enabled: boolean; minReplicas: number; maxReplicas: number };
  /** Set while a model switch runs. */
  switch?: ModelDeploymentStatus['switch'];
  health?: 'healthy' | 'unhealthy' | 'unknown';
  createdAt?: string;
  /** The in-cluster URL of the model server. */
  endpoint: string;
  /** Size of the running model's files in the model cache, when the loader reported it. */
  cacheBytes?: number;
}

/** Whether the backend can read a cluster, and why not. */
export interface ClusterState {
  name: string;
  reachable: boolean;
  error?: string;
  /** Listed at least once: what the backend knows of it is complete, if perhaps stale. */
  synced?: boolean;
}

/** GET /deployments; with `limit`, one page of the fleet and what the filters can choose from. */
export interface FleetResponse {
  items: DeploymentSummary[];
  clusters: ClusterState[];
  /** Paged answers: how many deployments match the query (every page's items are a slice). */
  total?: number;
  /** Paged answers that asked for them: the values each filter can take, over every readable deployment. */
  facets?: FleetFacets;
}

export interface FleetFacets {
  cluster: string[];
  engine: string[];
  model: string[];
  phase: string[];
  owner: string[];
}

/** The columns the fleet can be sorted by. */
export const FLEET_SORT_KEYS = [
  'name',
  'cluster',
  'engine',
  'model',
  'phase',
  'readyReplicas',
  'gpus',
  'cacheBytes',
  'owner',
  'health',
] as const;
export type FleetSortKey = (typeof FLEET_SORT_KEYS)[number];

/**
 * The query string of a paged GET /deployments: a page (`offset`, `limit` up to
 * FLEET_PAGE_LIMIT), a search over the table's text (`q`), a sort and exact filters.
 */
export interface FleetQuery {
  limit: number;
  offset?: number;
  q?: string;
  sort?: FleetSortKey;
  order?: 'asc' | 'desc';
  cluster?: string;
  engine?: string;
  model?: string;
  phase?: string;
  owner?: string;
  /** Also answer every filter's values (the fleet page asks once per refresh, not per page). */
  facets?: boolean;
}

/** The most rows one page of the fleet holds. */
export const FLEET_PAGE_LIMIT = 500;

/**
 * Longest search or filter value of a fleet query: names are at most 253 characters in Kubernetes.
 *
 * @public
 */
export const FLEET_TEXT_MAX = 253;

/** The phase filter's value for deployments the reconciler has not written a status to yet. */
export const NOT_RECONCILED = 'Not reconciled';

/** "2 × A100", "CPU only": the GPU column's text, searched on the server as shown. */
export function gpuText({ gpu }: Pick<DeploymentSummary, 'gpu'>): string {
  if (gpu.count === 0) return 'CPU only';
  const kind =
    gpu.resource === 'nvidia.com/gpu'
      ? gpu.product ?? 'GPU'
      : gpu.resource.replace('nvidia.com/', '');
  return `${gpu.count} × ${kind}`;
}

export interface PodInfo {
  name: string;
  node?: string;
  gpuProduct?: string;
  phase?: string;
  ready: boolean;
  restarts: number;
  model?: string;
  /** Why the pod is not running, e.g. the scheduler's message. */
  reason?: string;
  createdAt?: string;
}

export interface EventInfo {
  type?: string;
  reason?: string;
  message?: string;
  object: string;
  count?: number;
  lastTimestamp?: string;
}

export interface HpaInfo {
  minReplicas?: number;
  maxReplicas: number;
  currentReplicas?: number;
  desiredReplicas?: number;
  metrics: Array<{ name: string; target?: number; current?: number }>;
}

/** GET /deployments/:cluster/:namespace/:name */
export interface DeploymentDetail {
  summary: DeploymentSummary;
  resource: ModelDeployment;
  pods: PodInfo[];
  events: EventInfo[];
  hpa?: HpaInfo;
}

/** GPUs of one extended resource (nvidia.com/gpu, nvidia.com/mig-1g.10gb, …) on one node. */
export interface GpuResourceUsage {
  resource: string;
  allocatable: number;
  requested: number;
}

/**
 * Who holds GPUs on a node. Pods of the caller's teams are named; other teams' pods are summed
 * into one entry per resource with `otherTeams: true`, a count with no names.
 */
export interface GpuHolder {
  /** The ModelDeployment holding the GPUs; absent for pods the plugin does not manage. */
  deployment?: { namespace: string; name: string };
  pod: string;
  namespace: string;
  resource: string;
  count: number;
  /** The sum of other teams' pods on the node: pod and namespace are empty. */
  otherTeams?: boolean;
}

export interface NodeCapacity {
  name: string;
  product?: string;
  sharing: 'exclusive' | 'timeSliced' | 'mig' | 'none';
  ready: boolean;
  resources: GpuResourceUsage[];
  holders: GpuHolder[];
}

/** A pod waiting for GPUs; other teams' pods appear with `otherTeams: true` and no names. */
export interface PendingPod {
  deployment?: { namespace: string; name: string };
  pod: string;
  namespace: string;
  requests: Record<string, number>;
  reason: string;
  otherTeams?: boolean;
}

export interface ClusterCapacity {
  cluster: string;
  reachable: boolean;
  error?: string;
  nodes: NodeCapacity[];
  totals: GpuResourceUsage[];
  pending: PendingPod[];
}

/** GET /capacity */
export interface CapacityResponse {
  clusters: ClusterCapacity[];
}

/** POST /deployments */
export interface DeployRequest {
  cluster: string;
  namespace: string;
  name: string;
  spec: ModelDeploymentSpec;
}

export interface SwitchRequest {
  model: ModelDeploymentSpec['model'];
  strategy?: 'recreate' | 'rolling';
}

export type AuditOutcome = 'succeeded' | 'rejected' | 'denied' | 'failed';

export interface AuditEntry {
  id: number;
  createdAt: string;
  actor: string;
  action:
    | 'deploy'
    | 'scale'
    | 'switch'
    | 'restart'
    | 'delete'
    | 'edit'
    | 'autoscale'
    | 'health-check';
  cluster: string;
  namespace: string;
  name: string;
  input: unknown;
  outcome: AuditOutcome;
  message?: string;
  /** spec.owner of the deployment the record is about. */
  owner?: string;
}

export interface HealthRecord {
  checkedAt: string;
  healthy: boolean;
  message: string;
  latencyMs?: number;
  /** This failure restarted the pods. */
  recovered: boolean;
}

/** One point of a usage time series. */
export interface UsagePoint {
  t: string;
  requests: number;
  errors: number;
  pulls: number;
  promptTokens: number;
  generationTokens: number;
  /** Mean request latency in the bucket, when the engine reports it. */
  latencyMs?: number;
  /** Mean GPU utilization in percent, when Prometheus (DCGM exporter) is configured. */
  gpuUtilization?: number;
}

/** GET /usage */
export interface UsageResponse {
  from: string;
  to: string;
  stepSeconds: number;
  series: UsagePoint[];
  lastUsed?: string;
  /** Whether GPU utilization comes from a configured Prometheus, and its last error. */
  gpuUtilization: { configured: boolean; error?: string };
}

/** How an engine's API looks from outside: OpenAI-compatible, Ollama's own, or an HTTP predictor. */
export type EngineApiKind = 'openai' | 'ollama' | 'http';

/** GET /engines: the engines this backend can run (built in, or added by a module). */
export interface EngineInfo {
  engine: string;
  title: string;
  apiKind: EngineApiKind;
  defaultImage: string;
  port: number;
}

/** One ModelDeployment with what a catalog needs to describe it. */
export interface DeploymentResource {
  cluster: string;
  resource: ModelDeployment;
  apiKind: EngineApiKind;
  endpoint: string;
}

/** GET /resources: every ModelDeployment the caller may read, whole. */
export interface ResourcesResponse {
  items: DeploymentResource[];
  clusters: ClusterState[];
}

/** PATCH /deployments/:c/:ns/:n: the spec fields to change; each given field replaces the old one whole. */
export interface EditRequest {
  spec: Partial<ModelDeploymentSpec>;
}

/** One field of the spec that an edit changes. */
export interface SpecChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

/** What an edit changes in the cluster: a child object created, changed or removed, and where. */
export interface ChildChange {
  kind: string;
  name: string;
  change: 'create' | 'update' | 'delete';
  /** The fields that change (at most 20). */
  paths: string[];
}

/** The answer to an edit or autoscale action, or to its dry run. */
export interface EditResponse {
  dryRun: boolean;
  resource: ModelDeployment;
  changes: SpecChange[];
  cluster: ChildChange[];
}

/** POST /deployments/:c/:ns/:n/health-check: one check, run now. */
export interface HealthCheckResponse {
  healthy: boolean;
  message: string;
  latencyMs: number;
  checkedAt: string;
}

/** One model of a deployment: in its pool or not, running or not, and its use in the last 24 h. */
export interface ModelStats {
  name: string;
  version?: string;
  source?: string;
  active: boolean;
  inPool: boolean;
  requests: number;
  errors: number;
  promptTokens: number;
  generationTokens: number;
  lastUsed?: string;
}
