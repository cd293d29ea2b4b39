// One HTTP(S) GET with the loader's bounds: a timeout until the answer's headers arrive, an idle
// timeout on the socket while the body streams, an abort signal, and no redirect followed here
// (callers decide, per hop, whether a Location may be followed and with which headers).
'use strict';

const http = require('http');
const https = require('https');
const { LoaderError } = require('./layout');

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 8 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

/** Errors worth another try: the network, not the server's answer. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_LOADER_TIMEOUT',
]);

/**
 * GET url; resolves the response (status, headers, a readable body) once its headers arrive.
 * Rejects on network errors and timeouts with {code}. The caller reads or discards the body.
 */
function get(url, { headers = {}, timeoutMs = 60_000, signal } = {}) {
  const u = new URL(url);
  const libs = { 'https:': https, 'http:': http };
  const lib = libs[u.protocol];
  if (!lib)
    return Promise.reject(
      new LoaderError(`${url}: only http and https are fetched`),
    );
  return new Promise((resolve, reject) => {
    const waiting = {};
    const req = lib.request(
      u,
      {
        method: 'GET',
        agent: agents[u.protocol],
        headers: { 'User-Agent': 'model-hosting-model-loader/1', ...headers },
        signal,
      },
      res => {
        clearTimeout(waiting.timer);
        // While the body streams, a socket idle for timeoutMs ends the download.
        const socket = res.socket;
        const onIdle = () => {
          const err = new Error(`no data for ${timeoutMs / 1000} s`);
          err.code = 'ERR_LOADER_TIMEOUT';
          res.destroy(err);
        };
        socket.setTimeout(timeoutMs);
        socket.on('timeout', onIdle);
        const done = () => {
          socket.setTimeout(0);
          socket.removeListener('timeout', onIdle);
        };
        res.once('end', done);
        res.once('close', done);
        resolve(res);
      },
    );
    waiting.timer = setTimeout(() => {
      const err = new Error(`no answer in ${timeoutMs / 1000} s`);
      err.code = 'ERR_LOADER_TIMEOUT';
      req.destroy(err);
    }, timeoutMs);
    req.on('error', err => {
      clearTimeout(waiting.timer);
      reject(err);
    });
    req.end();
  });
}

/** Reads a (small) body whole, up to maxBytes. */
function readBody(res, maxBytes = 16 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    res.on('data', c => {
      n += c.length;
      if (n > maxBytes) {
        res.destroy();
        reject(new LoaderError(`answer larger than ${maxBytes} bytes`));
      } else chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/** Throws away a body we do not read (so the socket can be reused). */
function discard(res) {
  res.resume();
  res.on('error', () => {});
}

module.exports = { get, readBody, discard, TRANSIENT_CODES };
