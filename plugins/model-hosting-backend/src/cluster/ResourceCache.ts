import { isDeepStrictEqual } from 'util';
import {
  KubeConfig,
  KubernetesObjectApi,
  Watch,
} from '@kubernetes/client-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Counter } from '../metrics';

export type ChangeType = 'add' | 'update' | 'delete';
/** `previous` is what the cache held before an update. */
export type ChangeListener<T> = (
  type: ChangeType,
  obj: T,
  previous?: T,
) => void;

export interface ResourceCacheOptions<T> {
  apiVersion: string;
  kind: string;
  /** URL path of the collection, for example /api/v1/pods. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Lists everything again this often, to heal whatever a watch may have missed. Default 30 minutes. */
  relistMs?: number;
  /** Keeps only what the plugin reads, so the cache stays small; undefined drops the object. */
  slim: (obj: any) => T | undefined;
}

/** A page of a list, as the API server answers it. */
export interface ListPage {
  items: any[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** How one resource is listed and watched: the API server's, or a fake in tests. */
export interface ListWatch {
  list(continueToken?: string): Promise<ListPage>;
  /** Starts a watch from resourceVersion; `done` is called once when it ends (with the error, if any). */
  watch(
    resourceVersion: string,
    onEvent: (type: string, obj: any) => void,
    done: (err?: unknown) => void,
  ): Promise<{ abort(): void }>;
}

/** List and watch through the API server, with the options' selectors. */
export function kubeListWatch(
  kubeConfig: KubeConfig,
  options: Pick<
    ResourceCacheOptions<unknown>,
    'apiVersion' | 'kind' | 'path' | 'labelSelector' | 'fieldSelector'
  >,
): ListWatch {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  const watcher = new Watch(kubeConfig);
  return {
    list: continueToken =>
      api.list(
        options.apiVersion,
        options.kind,
        undefined,
        undefined,
        undefined,
        undefined,
        options.fieldSelector,
        options.labelSelector,
        500,
        continueToken,
      ) as Promise<ListPage>,
    watch: (resourceVersion, onEvent, done) =>
      watcher.watch(
        options.path,
        {
          resourceVersion,
          allowWatchBookmarks: true,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          // The server ends the watch now and then; we resume from the last resourceVersion.
          timeoutSeconds: 240 + Math.floor(Math.random() * 120),
        },
        onEvent,
        done,
      ),
  };
}

/** Anything with Kubernetes object metadata. */
export type Cached = { metadata?: { name?: string; namespace?: string } };

const key = (o: Cached) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/**
 * One resource kind of one cluster, mirrored in memory: list, then watch from the list's
 * resourceVersion; relist on 410 Gone; reconnect with backoff when the API server goes away.
 */
export class ResourceCache<T extends Cached> {
  private readonly objects = new Map<string, T>();
  private readonly listeners: ChangeListener<T>[] = [];
  /** Secondary indexes: index name → index value → object keys. */
  private readonly indexers = new Map<string, (obj: T) => string | undefined>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly source: ListWatch;
  private resourceVersion = '';
  private abort?: { abort(): void };
  private retryTimer?: NodeJS.Timeout;
  private relistTimer?: NodeJS.Timeout;
  private backoffMs = 500;
  /** When the current watch started: one that ends soon after is retried with backoff. */
  private watchStartedAt = 0;
  private stopped = true;
  synced = false;
  lastError?: string;

  constructor(
    source: KubeConfig | ListWatch,
    private readonly options: ResourceCacheOptions<T>,
    private readonly logger: LoggerService,
    /** Counts the list and watch requests made. */
    private readonly requests: Counter = { add: () => {} },
  ) {
    this.source =
      source instanceof KubeConfig ? kubeListWatch(source, options) : source;
  }

  get kind() {
    return this.options.kind;
  }

  onChange(listener: ChangeListener<T>) {
    this.listeners.push(listener);
  }

  /** Adds a secondary index, such as pods by their ModelDeployment. */
  addIndex(name: string, indexer: (obj: T) => string | undefined) {
    this.indexers.set(name, indexer);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [k, obj] of this.objects) this.indexAdd(name, k, obj);
  }

  byIndex(name: string, value: string): T[] {
    const keys = this.indexes.get(name)?.get(value);
    if (!keys) return [];
    return [...keys].map(k => this.objects.get(k)!).filter(Boolean);
  }

  private indexAdd(name: string, k: string, obj: T) {
    const value = this.indexers.get(name)!(obj);
    if (value === undefined) return;
    const index = this.indexes.get(name)!;
    if (!index.has(value)) index.set(value, new Set());
    index.get(value)!.add(k);
  }

  private indexRemove(k: string, obj: T) {
    for (const [name, indexer] of this.indexers) {
      const value = indexer(obj);
      if (value === undefined) continue;
      const keys = this.indexes.get(name)!.get(value);
      keys?.delete(k);
      if (keys?.size === 0) this.indexes.get(name)!.delete(value);
    }
  }

  /** Every object change goes through here, so the indexes stay true. */
  private put(k: string, obj: T | undefined) {
    const old = this.objects.get(k);
    if (old) this.indexRemove(k, old);
    if (obj) {
      this.objects.set(k, obj);
      for (const name of this.indexers.keys()) this.indexAdd(name, k, obj);
    } else {
      this.objects.delete(k);
    }
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }

  /**
   * Write-through after our own write: the API server's answer goes into the cache at once, so the
   * next reconcile does not act on the state from before it.
   */
  upsert(obj: any) {
    this.store(obj);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run();
    this.relistTimer = setInterval(
      () => this.relistNow(),
      this.options.relistMs ?? 30 * 60_000,
    );
    this.relistTimer.unref?.();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.relistTimer);
    this.abort?.abort();
  }

  /** Ends the watch and lists everything anew (the relist emits what changed meanwhile). */
  relistNow() {
    if (this.stopped) return;
    this.resourceVersion = '';
    const watch = this.abort;
    this.abort = undefined;
    // Aborting ends the watch cleanly; its end handler runs the relist.
    if (watch) watch.abort();
    else void this.run();
  }

  private async run() {
    if (this.stopped) return;
    try {
      if (!this.resourceVersion) await this.relist();
      await this.watch();
    } catch (e) {
      this.fail(e);
    }
  }

  private async relist() {
    const fresh = new Map<string, T>();
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      this.requests.add();
      const page = await this.source.list(continueToken);
      for (const item of page.items) {
        const slim = this.options.slim(item);
        if (slim) fresh.set(key(item), slim);
      }
      continueToken = page.metadata?._continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? '';
    } while (continueToken);
    for (const [k, old] of [...this.objects]) {
      if (!fresh.has(k)) {
        this.put(k, undefined);
        this.emit('delete', old);
      }
    }
    for (const [k, obj] of fresh) {
      const old = this.objects.get(k);
      this.put(k, obj);
      if (!old) this.emit('add', obj);
      else if (!isDeepStrictEqual(old, obj)) this.emit('update', obj, old);
    }
    this.resourceVersion = resourceVersion;
    this.synced = true;
    this.lastError = undefined;
    this.backoffMs = 500;
  }

  private async watch() {
    this.requests.add();
    this.watchStartedAt = Date.now();
    this.abort = await this.source.watch(
      this.resourceVersion,
      (type, obj) => this.onEvent(type, obj),
      err => {
        if (this.stopped) return;
        // A relist was asked for (410 Gone, or relistNow ended the watch): list at once.
        if (!this.resourceVersion) void this.run();
        else if (err) this.fail(err);
        else this.ended();
      },
    );
    // The API server took the watch: the cluster answers again.
    this.lastError = undefined;
  }

  /**
   * A watch that ended cleanly (the server's timeout, or our relist): resume at once after a
   * healthy watch; a watch that ends right after it began is a server in trouble: back off.
   */
  private ended() {
    if (Date.now() - this.watchStartedAt >= 60_000) {
      this.backoffMs = 500;
      void this.run();
      return;
    }
    this.retryLater();
  }

  private retryLater() {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.run(), this.backoffMs);
    this.retryTimer.unref?.();
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  private onEvent(type: string, obj: any) {
    if (type === 'ERROR') {
      // 410 Gone: our resourceVersion is too old; list again.
      if (obj?.code === 410) this.resourceVersion = '';
      return;
    }
    this.lastError = undefined;
    // Only the watch moves its resume point: a write-through may be ahead of events not yet seen.
    if (obj?.metadata?.resourceVersion)
      this.resourceVersion = obj.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    const k = key(obj);
    if (type === 'DELETED') {
      const old = this.objects.get(k);
      if (old) {
        this.put(k, undefined);
        this.emit('delete', old);
      }
      return;
    }
    this.store(obj);
  }

  /** Keeps an added or changed object, unless the cache already holds a newer version of it. */
  private store(obj: any) {
    const k = key(obj);
    const current = this.objects.get(k) as
      | { metadata?: { resourceVersion?: string } }
      | undefined;
    if (
      isOlder(
        obj?.metadata?.resourceVersion,
        current?.metadata?.resourceVersion,
      )
    )
      return;
    const slim = this.options.slim(obj);
    const had = this.objects.has(k);
    if (!slim) {
      // No longer of interest (a pod that finished, say): forget it.
      if (had) {
        const old = this.objects.get(k)!;
        this.put(k, undefined);
        this.emit('delete', old);
      }
      return;
    }
    const old = this.objects.get(k);
    this.put(k, slim);
    // What the cache keeps did not change (a heartbeat, a relist): nothing to tell.
    if (had && isDeepStrictEqual(old, slim)) return;
    if (had) this.emit('update', slim, old);
    else this.emit('add', slim);
  }

  private fail(e: unknown) {
    const err = e as { code?: number; statusCode?: number; message?: string };
    if (err?.code === 410 || err?.statusCode === 410) {
      this.resourceVersion = '';
      void this.run();
      return;
    }
    this.lastError = err?.message ?? String(e);
    this.logger.debug(
      `${this.options.kind} watch failed, retrying in ${this.backoffMs} ms: ${this.lastError}`,
    );
    this.retryLater();
  }

  private emit(type: ChangeType, obj: T, previous?: T) {
    for (const listener of this.listeners) {
      try {
        listener(type, obj, previous);
      } catch (e) {
        this.logger.error(`${this.options.kind} change listener failed: ${e}`);
      }
    }
  }
}

/**
 * resourceVersions are opaque, but etcd's are increasing integers: use that, when both are, to
 * ignore a watch event older than what a write-through already stored.
 */
function isOlder(incoming?: string, current?: string): boolean {
  if (
    !incoming ||
    !current ||
    !/^\d+$/.test(incoming) ||
    !/^\d+$/.test(current)
  )
    return false;
  return BigInt(incoming) < BigInt(current);
}
