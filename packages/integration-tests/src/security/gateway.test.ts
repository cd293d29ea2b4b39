// Attacks through the OpenAI-compatible gateway: squatting popular model names, ids that are not
// one's own, bad bodies, and model servers that try to send the backend elsewhere or flood it.
// Model servers are the pod runner's stand-ins behind real pod IPs (reached through the API
// server's service proxy); only the two bounded-call tests use endpoint overrides, to loopback
// servers this file runs.
import http from 'http';
import { AddressInfo } from 'net';
import { eventually, useNamespace } from '../kube';
import {
  DS,
  expectRefused,
  MH,
  ML,
  deployed,
  messageOf,
  Portal,
  ready,
  SERVICE_TOKENS,
  Session,
  startPortal,
} from './portal';

// The pod runner's client (plain JavaScript).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { podNetwork } = require('@modelhosting/engine-stand-ins');

const POPULAR = 'meta-llama/Llama-3.1-8B-Instruct';
const PUBLISHED = 'llama-3.1-8b';
const MAX_ANSWER = 1024 * 1024;

const chat = (model: unknown, content = 'Echo: hello') => ({
  model,
  messages: [{ role: 'user', content }],
});

/** A loopback server that counts what it received. */
async function server(handler: http.RequestListener) {
  const hits: string[] = [];
  const s = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise(r => s.close(r)),
  };
}

describe('security: the gateway', () => {
  const nsMl = useNamespace('sec-gw-ml', { owners: [ML] });
  const nsDs = useNamespace('sec-gw-ds', { owners: [DS] });
  const net = podNetwork({ kubeconfig: process.env.MH_TEST_KUBECONFIG });
  let portal: Portal;
  let alice: Session;
  let bob: Session;
  let admin: Session;
  let elsewhere: Awaited<ReturnType<typeof server>>;
  let redirector: Awaited<ReturnType<typeof server>>;
  let flood: Awaited<ReturnType<typeof server>>;

  /** Chat requests the deployment's stand-ins answered so far (their own per-path counters). */
  const chatsReceived = async (ns: string, name: string): Promise<number> =>
    (await net!.deployment(ns, name)).pods.reduce(
      (n: number, p: any) =>
        n + (p.server?.byPath?.['POST /v1/chat/completions'] ?? 0),
      0,
    );

  beforeAll(async () => {
    if (!net) {
      throw new Error(
        'The test cluster has no pod network (scripts/cluster/podnet.sh needs root): the gateway attacks need model servers behind pod IPs',
      );
    }
    // Where a redirect would send the backend; a server that redirects there; one that floods.
    elsewhere = await server((_req, res) => res.end('{"stolen":true}'));
    redirector = await server((_req, res) => {
      res.writeHead(307, { Location: `${elsewhere.url}/steal` });
      res.end();
    });
    flood = await server((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const write = () => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once('drain', write);
        }
        return res.end();
      };
      res.on('close', () => (sent = Infinity));
      write();
    });
    portal = await startPortal({
      modelHosting: {
        gateway: {
          maxResponseBytes: MAX_ANSWER,
          // The admins publish one bare name, bound to alice's team's deployment.
          publishedModels: [
            { model: PUBLISHED, namespace: nsMl(), name: 'llama' },
          ],
        },
        health: {
          enabled: false,
          endpoints: [
            {
              cluster: 'local',
              namespace: nsMl(),
              name: 'redirector',
              url: redirector.url,
            },
            {
              cluster: 'local',
              namespace: nsMl(),
              name: 'flood',
              url: flood.url,
            },
          ],
        },
      },
    });
    [alice, bob, admin] = await Promise.all(
      ['alice', 'bob', 'admin'].map(n => portal.as(n)),
    );
    const vllm = (owner: string, model: string) => ({
      owner,
      engine: 'vllm',
      model: { name: model },
      replicas: 1,
    });
    const openai = (name: string) => ({
      owner: ML,
      engine: 'openai',
      model: { name: `${name}-model` },
      replicas: 1,
    });
    await deployed(alice, nsMl(), 'llama', vllm(ML, POPULAR));
    // bob names his deployments after the popular model and after the published name.
    await deployed(bob, nsDs(), 'squat', vllm(DS, POPULAR));
    await deployed(bob, nsDs(), 'squat-published', vllm(DS, PUBLISHED));
    await deployed(alice, nsMl(), 'redirector', openai('redirector'));
    await deployed(alice, nsMl(), 'flood', openai('flood'));
    const all: Array<[string, string]> = [
      [nsMl(), 'llama'],
      [nsDs(), 'squat'],
      [nsDs(), 'squat-published'],
      [nsMl(), 'redirector'],
      [nsMl(), 'flood'],
    ];
    await Promise.all(
      all.map(([ns, name]) =>
        net.waitReady(ns, name, 1, { timeoutMs: 90_000 }),
      ),
    );
    await Promise.all(all.map(([ns, name]) => ready(admin, ns, name)));
  });
  afterAll(async () => {
    await portal?.stop();
    await Promise.all(
      [elsewhere, redirector, flood].filter(Boolean).map(s => s.close()),
    );
  });

  const post = (who: Session, body: unknown) =>
    who.post(`${MH}/v1/chat/completions`, body as object);

  it('lists namespaced model ids, and bare names only as the admins published them', async () => {
    const res = await bob.get(`${MH}/v1/models`);
    expect(res.status).toBe(200);
    const ids = Object.fromEntries(
      res.body.data.map((m: any) => [m.id, m.owned_by]),
    );
    expect(ids).toMatchObject({
      [`${nsMl()}/${POPULAR}`]: ML,
      [`${nsDs()}/${POPULAR}`]: DS,
      [`${nsDs()}/${PUBLISHED}`]: DS,
      [PUBLISHED]: ML,
    });
    expect(ids[POPULAR]).toBeUndefined();
  });

  it("attack (issue 12): squat a popular model name in one's own namespace → the victim's request for that name reaches no squatter (404)", async () => {
    const before = await chatsReceived(nsDs(), 'squat');
    await expectRefused(portal, () => post(alice, chat(POPULAR)), {
      status: 404,
      message: `No deployment serves the model '${POPULAR}': ask for '<namespace>/<model>' as GET /v1/models lists them, or for a name the admins published`,
      namespaces: [nsMl(), nsDs()],
      usage: true,
    });
    expect(await chatsReceived(nsDs(), 'squat')).toBe(before);
    // Asked by its namespaced id, the prompt reaches alice's team's server, and only it.
    const ok = await post(alice, chat(`${nsMl()}/${POPULAR}`, 'Echo: mine'));
    expect(ok.status).toBe(200);
    expect(ok.body.choices[0].message.content).toBe('mine');
    expect(await chatsReceived(nsDs(), 'squat')).toBe(before);
  });

  it('attack: squat the name the admins published → the published name still reaches the deployment it is bound to', async () => {
    const squatter = await chatsReceived(nsDs(), 'squat-published');
    const bound = await chatsReceived(nsMl(), 'llama');
    const res = await post(alice, chat(PUBLISHED, 'Echo: published'));
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toBe('published');
    expect(await chatsReceived(nsMl(), 'llama')).toBe(bound + 1);
    expect(await chatsReceived(nsDs(), 'squat-published')).toBe(squatter);
  });

  it("attack: take over the catalog's shared ai-model Resource by deploying the same model in one's own namespace", async () => {
    // alice's team deployed the model first; bob's later deployment must not make it his team's.
    const resource = await eventually(async () => {
      const res = await admin.get(
        '/api/catalog/entities/by-name/resource/default/meta-llama-llama-3.1-8b-instruct',
      );
      if (res.status !== 200) throw new Error(`${res.status}`);
      return res.body;
    }, 60_000);
    expect(resource.spec.owner).toBe(ML);
  });

  it('attack: a bare model name nobody published → 404', async () => {
    await expectRefused(portal, () => post(bob, chat('squat-published')), {
      status: 404,
      message: `No deployment serves the model 'squat-published': ask for '<namespace>/<model>' as GET /v1/models lists them, or for a name the admins published`,
      namespaces: [nsDs()],
      usage: true,
    });
  });

  it.each([
    ['a namespace that does not serve it', () => `kube-system/${POPULAR}`],
    [
      'a path walking into another namespace',
      () => `${nsMl()}/../${nsDs()}/${POPULAR}`,
    ],
    ['the deployment name instead of the model', () => `${nsDs()}/squat`],
  ])('attack: a model id naming %s → 404', async (_what, id) => {
    await expectRefused(portal, () => post(bob, chat(id())), {
      status: 404,
      // Either nothing in that namespace, or a list of what its deployments serve.
      message: /^No deployment (serves the model|in \S+ serves) /,
      namespaces: [nsMl(), nsDs()],
      usage: true,
    });
  });

  it("attack: probe another team's namespace for its model names → a 404 naming nothing GET /v1/models does not already show the caller", async () => {
    // Invoking is every signed-in user's (the portal policy's `read`), so a namespace's model
    // names are no secret from them; the 404 must not name more than the list does.
    const res = await post(bob, chat(`${nsMl()}/guess`));
    expect(res.status).toBe(404);
    const message = messageOf(res);
    const named = message.split(': ')[1].split(', ');
    const listed = (await bob.get(`${MH}/v1/models`)).body.data.map(
      (m: any) => m.id,
    );
    expect(named.length).toBeGreaterThan(0);
    for (const model of named) expect(listed).toContain(`${nsMl()}/${model}`);
  });

  it('attack: invoke with no token → 401, nothing reaches the server', async () => {
    const before = await chatsReceived(nsMl(), 'llama');
    await expectRefused(
      portal,
      () => post(portal.anonymous(), chat(`${nsMl()}/${POPULAR}`)),
      {
        status: 401,
        message: /credentials|authenticat/i,
        namespaces: [nsMl()],
        usage: true,
      },
    );
    expect(await chatsReceived(nsMl(), 'llama')).toBe(before);
    const models = await portal.anonymous().get(`${MH}/v1/models`);
    expect(models.status).toBe(401);
  });

  it('attack: an oversized body (300 KB) → 400, nothing reaches the server', async () => {
    const before = await chatsReceived(nsMl(), 'llama');
    await expectRefused(
      portal,
      () => post(alice, chat(`${nsMl()}/${POPULAR}`, 'x'.repeat(300 * 1024))),
      {
        status: 400,
        message: 'The request body is too large',
        namespaces: [nsMl()],
        usage: true,
      },
    );
    expect(await chatsReceived(nsMl(), 'llama')).toBe(before);
  });

  it('attack: malformed JSON → 400, nothing reaches the server', async () => {
    const before = await chatsReceived(nsMl(), 'llama');
    await expectRefused(
      portal,
      () =>
        alice
          .raw('post', `${MH}/v1/chat/completions`)
          .set('Content-Type', 'application/json')
          .send(`{"model": "${nsMl()}/${POPULAR}", "messages": [`),
      {
        status: 400,
        message: /^The request body is not valid JSON/,
        namespaces: [nsMl()],
        usage: true,
      },
    );
    expect(await chatsReceived(nsMl(), 'llama')).toBe(before);
  });

  it('attack: a model that is not a string (an object) → 400', async () => {
    await expectRefused(portal, () => post(alice, chat({ $ne: null })), {
      status: 400,
      message: 'The request body needs a "model" (see GET /v1/models)',
      namespaces: [nsMl()],
      usage: true,
    });
  });

  it('a program with a read-only token may invoke (model-hosting.model.invoke is a read permission)', async () => {
    const res = await post(
      portal.service(SERVICE_TOKENS.restricted),
      chat(`${nsMl()}/${POPULAR}`, 'Echo: ci'),
    );
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toBe('ci');
  });

  it('attack: a model server that redirects the backend elsewhere → the redirect is not followed', async () => {
    const res = await post(alice, chat(`${nsMl()}/redirector-model`));
    // Passed back as the server answered, without its Location; nobody went there.
    expect(res.status).toBe(307);
    expect(res.headers.location).toBeUndefined();
    expect(redirector.hits).toEqual(['POST /v1/chat/completions']);
    expect(elsewhere.hits).toEqual([]);
  });

  it('attack: a model server that answers without end (64 MiB) → read up to the cap only, then 503', async () => {
    const started = Date.now();
    const res = await post(alice, chat(`${nsMl()}/flood-model`));
    expect({ status: res.status, message: res.body?.error?.message }).toEqual({
      status: 503,
      message: `Model server ${nsMl()}/flood on local did not answer: the answer is larger than ${MAX_ANSWER} bytes`,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
