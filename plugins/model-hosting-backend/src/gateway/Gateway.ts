import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  InputError,
  isError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  DeploymentRef,
  ModelDeployment,
  modelInvokePermission,
  poolOf,
  servedModel,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { PassThrough, pipeline, Readable } from 'stream';
import { DeploymentEntry } from '../deployments/ModelDeployments';
import { EngineRegistry, ModelServerAccess } from '../engines';
import { Histogram } from '../metrics';
import { DeploymentAuthorizer } from '../permissions/DeploymentAuthorizer';
import { engineMetersItself } from '../usage/EngineMeter';
import { UsageBuffer } from '../usage/UsageBuffer';
import { choose } from './choose';
import {
  binds,
  Candidate,
  DeploymentLookup,
  modelIds,
  PublishedModel,
  requireOneOwner,
  resolveModel,
  unknownModelIn,
} from './modelIds';
import { PoolSwitcher } from './PoolSwitcher';
import { Traffic } from './Traffic';
import { watchUsage } from './watchUsage';

export interface GatewayOptions {
  /** How long a request waits for a deployment scaled to zero to become ready. */
  maxWaitMs: number;
  /** Requests held per deployment while it scales from zero; more get a 503. */
  maxPendingRequests: number;
  /** Timeout of a request to the model server once it runs. */
  requestTimeoutMs: number;
  /** Longest non-streamed answer passed on; a longer one is a 502-like failure. */
  maxResponseBytes: number;
  /** Bare model names the admins published. */
  publishedModels: PublishedModel[];
  /** Health checks run, and with them the metering of self-metering engines from their counters. */
  healthChecksRun: boolean;
}

/** What the gateway needs of the deployments seam. */
export interface GatewayDeployments extends DeploymentLookup {
  find(ref: DeploymentRef): DeploymentEntry | undefined;
  isServing(ref: DeploymentRef): boolean;
  scale(entry: DeploymentEntry, replicas: number): Promise<void>;
  event(
    entry: DeploymentEntry,
    type: 'Normal',
    reason: string,
    message: string,
  ): Promise<void>;
}

/** A 503 that tells the client when to come back. */
export class RetryLaterError extends ServiceUnavailableError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

/** What the gateway answers, to be written by the route. */
export interface GatewayResponse {
  status: number;
  headers: Record<string, string>;
  /** A whole answer, or a stream that passes through as it comes. */
  body: string | Readable;
}

/**
 * The portal's OpenAI-compatible front door: routes a request by its `model` to a deployment
 * serving it, scales that deployment up from zero and holds the request until it is ready,
 * streams the answer back, and meters what passes.
 */
export class Gateway {
  constructor(
    private readonly deployments: GatewayDeployments,
    private readonly engines: EngineRegistry,
    private readonly access: ModelServerAccess,
    private readonly authorizer: DeploymentAuthorizer,
    private readonly usage: UsageBuffer,
    readonly traffic: Traffic,
    private readonly switcher: PoolSwitcher,
    private readonly options: GatewayOptions,
    /** Seconds from a request's arrival to the scale-from-zero patch. */
    private readonly scaleFromZeroDelay?: Histogram,
  ) {}

  /** Whether the deployment's engine serves several models at once (Ollama). */
  private readonly multiModel = (e: DeploymentEntry) =>
    this.engines.has(e.md.spec.engine) &&
    !!this.engines.get(e.md.spec.engine).multiModel;

  /** The models the caller may invoke: the OpenAI `GET /v1/models` list, pools included. */
  async models(credentials: BackstageCredentials) {
    const all = this.deployments.all();
    const allowed = await this.authorizer.allowed(
      modelInvokePermission,
      all,
      credentials,
      { remember: true },
    );
    const ids = new Map<string, DeploymentEntry>();
    const mine = all.filter((_, i) => allowed[i]);
    mine.forEach(t =>
      modelIds(t, this.multiModel).forEach(id => ids.set(id, t)),
    );
    for (const p of this.options.publishedModels) {
      const served = mine.find(t => binds(p, t));
      if (served) ids.set(p.model, served);
    }
    return {
      object: 'list',
      data: [...ids].map(([id, t]) => ({
        id,
        object: 'model',
        created:
          Math.floor(
            Date.parse(t.md.metadata.creationTimestamp ?? '') / 1000,
          ) || 0,
        owned_by: t.md.spec.owner,
      })),
    };
  }

  /** Forwards one OpenAI-style request (chat/completions, completions, embeddings). */
  async forward(
    path: string,
    body: unknown,
    credentials: BackstageCredentials,
    signal: AbortSignal,
  ): Promise<GatewayResponse> {
    const model = (body as { model?: unknown } | undefined)?.model;
    if (typeof model !== 'string' || !model) {
      throw new InputError(
        'The request body needs a "model" (see GET /v1/models)',
      );
    }
    // The server knows its model by its own name, not by the gateway's namespaced id.
    return this.forwardTo(
      model,
      () => path,
      credentials,
      signal,
      m => ({
        ...(body as object),
        model: m,
      }),
    );
  }

  /**
   * Forwards one request of an HTTP predictor: `/predict` (the seeds' scikit-learn servers) or the
   * V2 inference protocol's `/v2/models/{model}/infer`, for the model id the path names.
   */
  async predict(
    modelId: string,
    kind: 'predict' | 'v2-infer',
    body: unknown,
    credentials: BackstageCredentials,
    signal: AbortSignal,
  ): Promise<GatewayResponse> {
    if (!body || typeof body !== 'object') {
      throw new InputError('The request body must be a JSON object');
    }
    const upstream = (m: string) =>
      kind === 'predict' ? '/predict' : `/v2/models/${m}/infer`;
    return this.forwardTo(modelId, upstream, credentials, signal, () => body);
  }

  private async forwardTo(
    modelId: string,
    upstreamPath: (model: string) => string,
    credentials: BackstageCredentials,
    signal: AbortSignal,
    bodyFor: (model: string) => unknown,
  ): Promise<GatewayResponse> {
    const arrivedAt = Date.now();
    const candidate = await this.pick(modelId, credentials);
    const body = bodyFor(candidate.model);
    const target = candidate.entry;
    const { ref } = target;
    // An engine that counts its own requests is metered from its counters: not here too.
    const metered = !engineMetersItself(
      this.engines,
      target.md,
      this.options.healthChecksRun,
    );
    this.traffic.start(ref);
    // One controller for the upstream request: the client going away or the timeout aborts it.
    const upstream = new AbortController();
    const abort = () => upstream.abort();
    signal.addEventListener('abort', abort, { once: true });
    // The model server's time: it starts when the request is forwarded, not while it is held
    // (a scale from zero or a switch may hold it up to maxWaitSeconds first).
    let timer: NodeJS.Timeout | undefined;
    const startTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(abort, this.options.requestTimeoutMs);
    };
    let finished = false;
    let forwarded = () => {};
    const finish = (
      ok: boolean,
      started: number,
      tokens?: { prompt?: number; completion?: number },
    ) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      forwarded();
      this.traffic.finish(ref);
      if (!metered) {
        // The engine's own counters count what it served, not what failed: errors are ours.
        if (!ok) this.usage.add(ref, candidate.model, { errors: 1 });
        return;
      }
      this.usage.add(ref, candidate.model, {
        requests: 1,
        errors: ok ? 0 : 1,
        latencyMsSum: Date.now() - started,
        latencyCount: 1,
        promptTokens: tokens?.prompt ?? 0,
        generationTokens: tokens?.completion ?? 0,
      });
    };
    try {
      let started = Date.now();
      let res: Awaited<ReturnType<ModelServerAccess['request']>>;
      for (let attempt = 1; ; attempt++) {
        const serving = await this.ensureServing(candidate, arrivedAt, signal);
        forwarded = serving.done;
        started = Date.now();
        startTimer();
        res = await this.access.request(
          ref,
          serving.md,
          'POST',
          upstreamPath(candidate.model),
          JSON.stringify(body),
          { 'Content-Type': 'application/json' },
          upstream.signal,
        );
        // Another replica's request switched the pool under this one: the old pods said the
        // model is gone (404) or were going away (502/503). Wait for the model again.
        const lostRace =
          [404, 502, 503].includes(res.status) &&
          this.switches(target) &&
          this.movedOn(ref, candidate.model);
        if (!lostRace || attempt >= 3) break;
        await res.text(this.options.maxResponseBytes).catch(() => '');
        forwarded();
      }
      const contentType = res.headers.get('content-type') ?? 'application/json';
      const stream = (body as { stream?: boolean }).stream === true;
      if (stream || !contentType.includes('json')) {
        // Streamed answers (server-sent events) pass through as they come, watched for a usage chunk.
        const watched = watchUsage();
        const passthrough = new PassThrough();
        watched.stream.pipe(passthrough, { end: false });
        watched.stream.on('end', () => {
          finish(res.ok, started, watched.usage());
          passthrough.end();
        });
        pipeline(res.body, watched.stream, err => {
          if (!err) return;
          finish(false, started);
          // The server stopped mid-answer: the client gets an error event and the end, not a hang.
          const error = {
            message: `Model server ${ref.namespace}/${
              ref.name
            } stopped answering: ${
              signal.aborted ? 'the client went away' : err.message
            }`,
            type: 'server_error',
          };
          passthrough.end(`data: ${JSON.stringify({ error })}\n\n`);
        });
        // no-transform: Backstage's compression middleware would otherwise hold small events back.
        return {
          status: res.status,
          headers: {
            'Content-Type': contentType,
            'Cache-Control': 'no-cache, no-transform',
          },
          body: passthrough,
        };
      }
      const text = await res.text(this.options.maxResponseBytes);
      let usage:
        | { prompt_tokens?: number; completion_tokens?: number }
        | undefined;
      try {
        usage = JSON.parse(text)?.usage;
      } catch {
        // not JSON after all: pass it on unread
      }
      finish(res.ok, started, {
        prompt: usage?.prompt_tokens,
        completion: usage?.completion_tokens,
      });
      return {
        status: res.status,
        headers: { 'Content-Type': contentType },
        body: text,
      };
    } catch (e) {
      finish(false, arrivedAt);
      if (e instanceof ServiceUnavailableError || e instanceof InputError)
        throw e;
      if (signal.aborted)
        throw new ServiceUnavailableError('The client went away');
      const server = `Model server ${ref.namespace}/${ref.name} on ${ref.cluster}`;
      if (upstream.signal.aborted) {
        throw new ServiceUnavailableError(
          `${server} did not answer within ${Math.round(
            this.options.requestTimeoutMs / 1000,
          )} s`,
        );
      }
      throw new ServiceUnavailableError(
        `${server} did not answer: ${(e as Error).message}`,
      );
    }
  }

  /**
   * The deployments answering for a model id. An unknown id in a namespace where the caller may
   * invoke deployments names their models (never more than `GET /v1/models` lists to the caller).
   */
  private async resolve(model: string, credentials: BackstageCredentials) {
    try {
      return resolveModel(
        model,
        this.deployments,
        this.options.publishedModels,
        this.multiModel,
      );
    } catch (e) {
      if (!isError(e) || e.name !== 'NotFoundError') throw e;
      const all = this.deployments.all();
      const allowed = await this.authorizer.allowed(
        modelInvokePermission,
        all,
        credentials,
        { remember: true },
      );
      const mine = all.filter((_, i) => allowed[i]);
      throw unknownModelIn(model, mine, this.multiModel) ?? e;
    }
  }

  /**
   * A deployment answering for the model that the caller may invoke: one serving it now before
   * one that must switch to it; among equals, see `choose`.
   */
  private async pick(
    model: string,
    credentials: BackstageCredentials,
  ): Promise<Candidate> {
    const candidates = await this.resolve(model, credentials);
    const allowed = await this.authorizer.allowed(
      modelInvokePermission,
      candidates.map(c => c.entry),
      credentials,
      { remember: true },
    );
    const mine = candidates.filter((_, i) => allowed[i]);
    if (mine.length === 0)
      throw new NotAllowedError(`You may not invoke the model '${model}'`);
    requireOneOwner(model, mine);
    const now = mine.filter(c => c.servingNow);
    const pool = now.length ? now : mine;
    const chosen = choose(
      pool.map(c => c.entry),
      t => this.traffic.inFlightOf(t.ref),
    );
    return pool.find(c => c.entry === chosen)!;
  }

  /** Whether a deployment serves one model of its pool at a time, switching between them. */
  private switches(entry: DeploymentEntry): boolean {
    return !this.multiModel(entry) && poolOf(entry.md).length > 0;
  }

  /** Whether the deployment has moved on from `model` (a switch started or happened). */
  private movedOn(ref: DeploymentRef, model: string): boolean {
    const md = this.deployments.find(ref)?.md;
    return (
      !md ||
      md.spec.model.name !== model ||
      !!md.status?.switch ||
      this.switcher.isDraining(ref)
    );
  }

  /**
   * Waits, within the limits, until the deployment serves the model: wakes it from zero, and for
   * a model of its pool that it does not run, asks for the switch when it is that model's turn.
   * Returns the deployment and a function to call when the forwarded request finished.
   */
  private async ensureServing(
    candidate: Candidate,
    arrivedAt: number,
    signal: AbortSignal,
  ): Promise<{ md: ModelDeployment; done: () => void }> {
    const { ref } = candidate.entry;
    const model = candidate.model;
    const switches = this.switches(candidate.entry);
    const current = () => this.deployments.find(ref) ?? candidate.entry;
    const ready = () =>
      this.deployments.isServing(ref) &&
      (!switches ||
        (servedModel(current().md) === model && !this.movedOn(ref, model)));
    // Counted as forwarded in the same turn as the check: a switch waits for it to finish.
    const admitted = () => ({
      md: current().md,
      done: this.switcher.admit(ref),
    });
    if (ready()) return admitted();
    if (!this.traffic.hold(ref, this.options.maxPendingRequests)) {
      throw new RetryLaterError(
        `${ref.name} is starting and already holds ${this.options.maxPendingRequests} requests; try again shortly`,
        10,
      );
    }
    const leave = switches ? this.switcher.enter(ref, model) : () => {};
    try {
      const deadline = arrivedAt + this.options.maxWaitMs;
      while (!ready()) {
        const now = current();
        if (switches && now.md.spec.model.name !== model)
          await this.switcher.step(now, model);
        else if ((now.md.spec.replicas ?? 1) === 0)
          await this.wake(now, arrivedAt);
        if (signal.aborted) {
          throw new ServiceUnavailableError(
            'The client went away while the model was starting',
          );
        }
        if (Date.now() > deadline) {
          throw new RetryLaterError(
            `${ref.name} did not serve ${model} within ${Math.round(
              this.options.maxWaitMs / 1000,
            )} s; it is still starting or switching`,
            30,
          );
        }
        await new Promise(r => setTimeout(r, 50));
      }
      return admitted();
    } finally {
      leave();
      this.traffic.release(ref);
    }
  }

  /** Scales a deployment at zero up to its minimum (at least one). */
  private async wake(entry: DeploymentEntry, arrivedAt: number) {
    const replicas = Math.max(1, entry.md.spec.autoscaling?.minReplicas ?? 1);
    await this.deployments.scale(entry, replicas);
    this.scaleFromZeroDelay?.record((Date.now() - arrivedAt) / 1000);
    await this.deployments.event(
      entry,
      'Normal',
      'ScaledFromZero',
      `A request for ${entry.md.spec.model.name} arrived; scaling to ${replicas}`,
    );
  }
}
