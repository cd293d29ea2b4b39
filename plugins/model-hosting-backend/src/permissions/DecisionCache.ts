import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { PolicyDecision } from '@backstage/plugin-permission-common';

/**
 * A signed-in person's policy decisions for a few seconds. Backstage decides a service token's
 * requests in the plugin, but a person's by a request to the permission backend: on the gateway's
 * hot path that request cost a person 3x the CPU of a service token. Kept per permission, person
 * and token expiry (a new sign-in, with its new ownership claims, asks again), at most `maxEntries`,
 * and requests arriving together share one question.
 */
export class DecisionCache {
  private readonly entries = new Map<
    string,
    { until: number; decision: Promise<PolicyDecision> }
  >();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The decision for a person, from `ask` at most once per `ttlMs`; anyone else always asks. */
  decide(
    permission: string,
    credentials: BackstageCredentials,
    ask: () => Promise<PolicyDecision>,
  ): Promise<PolicyDecision> {
    const { principal } = credentials as BackstageCredentials<{
      type?: string;
      userEntityRef?: string;
    }>;
    if (
      this.ttlMs <= 0 ||
      principal.type !== 'user' ||
      !principal.userEntityRef
    )
      return ask();
    const key = `${permission} ${principal.userEntityRef} ${
      credentials.expiresAt?.getTime() ?? ''
    }`;
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.decision;
    if (hit) this.entries.delete(key);
    const decision = ask();
    // A failed question is not kept: the next request asks again.
    decision.catch(() => {
      if (this.entries.get(key)?.decision === decision)
        this.entries.delete(key);
    });
    this.evict(now);
    this.entries.set(key, { until: now + this.ttlMs, decision });
    return decision;
  }

  /** Room for one more: the expired first, then the oldest (a Map keeps insertion order). */
  private evict(now: number) {
    if (this.entries.size < this.maxEntries) return;
    for (const [key, entry] of this.entries)
      if (entry.until <= now) this.entries.delete(key);
    while (this.entries.size >= this.maxEntries)
      this.entries.delete(this.entries.keys().next().value!);
  }
}
