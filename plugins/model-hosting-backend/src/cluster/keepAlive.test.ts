import http from 'http';
import { AddressInfo } from 'net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { withKeepAlive } from './keepAlive';

function kubeConfig(server: string, skipTLSVerify = false) {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

describe('withKeepAlive', () => {
  it('gives every request of a cluster the same keep-alive agent', async () => {
    const kc = withKeepAlive(kubeConfig('https://127.0.0.1:6443'));
    const a = await kc.applyToFetchOptions({});
    const b = await kc.applyToFetchOptions({});
    expect(a.agent).toBe(b.agent);
    expect((a.agent as any).keepAlive).toBe(true);
  });

  it('keeps one agent per server', async () => {
    const one = withKeepAlive(kubeConfig('https://127.0.0.1:6443'));
    const other = withKeepAlive(kubeConfig('https://127.0.0.1:7443'));
    expect((await one.applyToFetchOptions({})).agent).not.toBe(
      (await other.applyToFetchOptions({})).agent,
    );
  });

  it('sends many requests over one connection', async () => {
    const connections: unknown[] = [];
    const tokens: unknown[] = [];
    const server = http.createServer((req, res) => {
      tokens.push(req.headers.authorization);
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'x' },
        }),
      );
    });
    server.on('connection', c => connections.push(c));
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const kc = withKeepAlive(kubeConfig(`http://127.0.0.1:${port}`, true));
      const core = kc.makeApiClient(CoreV1Api);
      for (let i = 0; i < 5; i++) await core.readNamespace({ name: 'x' });
      expect(tokens).toEqual(Array(5).fill('Bearer secret-token'));
      expect(connections).toHaveLength(1);

      // Without it, the library opens a connection per request.
      const plain = kubeConfig(`http://127.0.0.1:${port}`, true).makeApiClient(
        CoreV1Api,
      );
      for (let i = 0; i < 3; i++) await plain.readNamespace({ name: 'x' });
      expect(connections).toHaveLength(4);
    } finally {
      server.closeAllConnections();
      await new Promise(r => server.close(r));
    }
  });
});
