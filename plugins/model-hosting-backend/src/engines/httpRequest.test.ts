import http from 'http';
import { AddressInfo } from 'net';
import { httpRequest } from './httpRequest';

/**
 * A server that answers with the body it got, except the requests `drop` picks: those it hangs up
 * on without an answer, as a server closing an idle kept-alive connection does when a request
 * arrives on it at that moment.
 */
async function server(drop: (nthOnConnection: number) => boolean) {
  let connections = 0;
  const srv = http.createServer();
  srv.on('connection', () => connections++);
  const perSocket = new WeakMap<object, number>();
  srv.on('request', (req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (drop(n)) {
      req.socket.destroy();
      return;
    }
    let body = '';
    req.on('data', c => (body += c));
    req.on('end', () => res.end(`got ${body}`));
  });
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    connections: () => connections,
    close: () => new Promise(r => srv.close(r)),
  };
}

const post = (url: string, agent: http.Agent, body: string) =>
  httpRequest(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
    signal: new AbortController().signal,
    agent,
  });

describe('httpRequest', () => {
  it('sends again, once, on a new connection when a kept-alive one is closed as it is reused', async () => {
    const s = await server(n => n === 2);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await (await post(s.url, agent, 'one')).text(100)).toBe('got one');
      const second = await post(s.url, agent, 'two');
      expect(second.status).toBe(200);
      expect(await second.text(100)).toBe('got two');
      expect(s.connections()).toBe(2);
    } finally {
      agent.destroy();
      await s.close();
    }
  });

  it('does not send again when a new connection fails', async () => {
    const s = await server(() => true);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await expect(post(s.url, agent, 'one')).rejects.toThrow('socket hang up');
      expect(s.connections()).toBe(1);
    } finally {
      agent.destroy();
      await s.close();
    }
  });
});
