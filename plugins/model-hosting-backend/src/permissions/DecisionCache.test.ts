import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { DecisionCache } from './DecisionCache';

const allow: PolicyDecision = { result: AuthorizeResult.ALLOW };
const deny: PolicyDecision = { result: AuthorizeResult.DENY };

/** A person signed in until `expiresAt` (a new sign-in has a new expiry). */
const person = (ref: string, expiresAt = new Date('2026-11-27T12:00:00Z')) => ({
  ...mockCredentials.user(ref),
  expiresAt,
});

function setup(ttlMs = 5000, maxEntries = 100) {
  let now = 0;
  const cache = new DecisionCache(ttlMs, maxEntries, () => now);
  const ask = jest.fn(async () => allow);
  return { cache, ask, later: (ms: number) => (now += ms) };
}

describe('DecisionCache', () => {
  it("asks once for a person's requests within the time, again after it", async () => {
    const { cache, ask, later } = setup();
    const alice = person('user:default/alice');
    await cache.decide('model.invoke', alice, ask);
    later(4999);
    expect(await cache.decide('model.invoke', alice, ask)).toEqual(allow);
    expect(ask).toHaveBeenCalledTimes(1);
    later(1);
    await cache.decide('model.invoke', alice, ask);
    expect(ask).toHaveBeenCalledTimes(2);
  });

  it('keeps decisions apart per person, permission and sign-in', async () => {
    const { cache, ask } = setup();
    await cache.decide('model.invoke', person('user:default/alice'), ask);
    await cache.decide('model.invoke', person('user:default/bob'), ask);
    await cache.decide('deployment.read', person('user:default/alice'), ask);
    const again = person(
      'user:default/alice',
      new Date('2026-11-27T13:00:00Z'),
    );
    await cache.decide('model.invoke', again, ask);
    expect(ask).toHaveBeenCalledTimes(4);
  });

  it("a refusal is kept too, and never becomes another person's answer", async () => {
    const { cache } = setup();
    const refuse = jest.fn(async () => deny);
    const admit = jest.fn(async () => allow);
    await cache.decide('model.invoke', person('user:default/mallory'), refuse);
    expect(
      await cache.decide('model.invoke', person('user:default/mallory'), admit),
    ).toEqual(deny);
    expect(
      await cache.decide('model.invoke', person('user:default/alice'), admit),
    ).toEqual(allow);
  });

  it('always asks for service tokens and when the time is 0', async () => {
    const { cache, ask } = setup();
    await cache.decide(
      'model.invoke',
      mockCredentials.service('external:ci'),
      ask,
    );
    await cache.decide(
      'model.invoke',
      mockCredentials.service('external:ci'),
      ask,
    );
    expect(ask).toHaveBeenCalledTimes(2);
    const off = setup(0);
    await off.cache.decide('model.invoke', person('user:default/a'), off.ask);
    await off.cache.decide('model.invoke', person('user:default/a'), off.ask);
    expect(off.ask).toHaveBeenCalledTimes(2);
  });

  it('shares one question between requests that arrive together', async () => {
    const { cache, ask } = setup();
    const alice = person('user:default/alice');
    await Promise.all(
      Array.from({ length: 50 }, () =>
        cache.decide('model.invoke', alice, ask),
      ),
    );
    expect(ask).toHaveBeenCalledTimes(1);
  });

  it('does not keep a failed question', async () => {
    const { cache, ask } = setup();
    const alice = person('user:default/alice');
    const failing = jest.fn(async (): Promise<PolicyDecision> => {
      throw new Error('permission backend down');
    });
    await expect(cache.decide('model.invoke', alice, failing)).rejects.toThrow(
      'permission backend down',
    );
    expect(await cache.decide('model.invoke', alice, ask)).toEqual(allow);
    expect(ask).toHaveBeenCalledTimes(1);
  });

  it('holds at most maxEntries decisions, dropping the oldest', async () => {
    const { cache, ask } = setup(5000, 2);
    for (const name of ['a', 'b', 'c'])
      await cache.decide('model.invoke', person(`user:default/${name}`), ask);
    await cache.decide('model.invoke', person('user:default/c'), ask);
    await cache.decide('model.invoke', person('user:default/b'), ask);
    expect(ask).toHaveBeenCalledTimes(3);
    await cache.decide('model.invoke', person('user:default/a'), ask);
    expect(ask).toHaveBeenCalledTimes(4);
  });
});
