import http from 'http';
import https from 'https';
import { Readable } from 'stream';

/** What callers read of a model server's answer. */
export interface ModelServerHttpResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  /** Left unread until text() or a pipe: answers can be streams. */
  body: Readable;
  /** The whole answer as text; rejects when it is longer than maxBytes. */
  text(maxBytes: number): Promise<string>;
}

/** An answer longer than the cap the caller set: never buffered whole. */
export class ResponseTooLarge extends Error {}

/**
 * One HTTP(S) request on a keep-alive agent. Redirects are returned, never followed (a model
 * server must not send the backend elsewhere); the signal aborts the request and its answer.
 * A kept-alive connection the server closed just as it was reused (its idle timeout) is retried
 * once on a new one, before any answer, as Node's documentation of `request.reusedSocket` shows:
 * at 256 clients through the gateway about one request in 140,000 met that race.
 */
export function httpRequest(
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string;
    signal: AbortSignal;
    agent: http.Agent;
    /**
     * Send the body chunked, without a length. Through the API server's proxy a body with a
     * length lets the server answer before the proxy has looked for the body's end; the proxy
     * then cuts the answer off mid-stream (golang/go#40747). Chunked, the proxy sees the end
     * before the server can answer.
     */
    chunked?: boolean;
  },
): Promise<ModelServerHttpResponse> {
  let headers = init.headers;
  if (init.body !== undefined) {
    headers = init.chunked
      ? { ...headers, 'Transfer-Encoding': 'chunked' }
      : { ...headers, 'Content-Length': String(Buffer.byteLength(init.body)) };
  }
  const request = url.startsWith('https:') ? https.request : http.request;
  const send = (retry: boolean) =>
    new Promise<ModelServerHttpResponse>((resolve, reject) => {
      let answered = false;
      const req = request(
        url,
        {
          method: init.method,
          headers,
          agent: init.agent,
          signal: init.signal,
        },
        res => {
          answered = true;
          const status = res.statusCode ?? 0;
          resolve({
            status,
            ok: status >= 200 && status < 300,
            headers: {
              get: name => {
                const v = res.headers[name.toLowerCase()];
                if (v === undefined) return null;
                return Array.isArray(v) ? v.join(', ') : v;
              },
            },
            body: res,
            text: async maxBytes => {
              const chunks: Buffer[] = [];
              let size = 0;
              for await (const chunk of res) {
                size += (chunk as Buffer).length;
                if (size > maxBytes) {
                  res.destroy();
                  throw new ResponseTooLarge(
                    `the answer is larger than ${maxBytes} bytes`,
                  );
                }
                chunks.push(chunk as Buffer);
              }
              return Buffer.concat(chunks).toString('utf8');
            },
          });
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (
          retry &&
          !answered &&
          req.reusedSocket &&
          e.code === 'ECONNRESET' &&
          !init.signal.aborted
        )
          resolve(send(false));
        else reject(e);
      });
      if (init.body !== undefined && init.chunked) req.write(init.body);
      req.end(init.chunked ? undefined : init.body);
    });
  return send(true);
}
