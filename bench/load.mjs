// A load generator in a process of its own (so that it does not share an event loop with what it
// measures): `clients` keep-alive connections, each sending the next request as soon as the last
// answer has been read, for `seconds` after a warm-up. Prints one JSON line: requests per second,
// latency percentiles, errors.
//
//   node bench/load.mjs '{"url":…,"body":…,"headers":{…},"clients":32,"seconds":10}'
//   ("method":"GET" sends no body)
import http from 'node:http';

const {
  url,
  body,
  method = 'POST',
  headers = {},
  clients,
  seconds,
  warmupSeconds = 1,
} = JSON.parse(process.argv[2]);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const data = method === 'GET' ? undefined : Buffer.from(body);

function once() {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method,
        agent,
        headers: data
          ? {
              ...headers,
              'Content-Type': 'application/json',
              'Content-Length': data.length,
            }
          : headers,
      },
      res => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.on('error', reject);
    req.end(data);
  });
}

const latencies = [];
let errors = 0;
let lastError = '';
const warmEnd = performance.now() + warmupSeconds * 1000;
const end = warmEnd + seconds * 1000;
await Promise.all(
  Array.from({ length: clients }, async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      try {
        const status = await once();
        if (status !== 200) {
          errors++;
          lastError = `HTTP ${status}`;
        }
      } catch (e) {
        errors++;
        lastError = e.message;
      }
      const t1 = performance.now();
      if (t0 >= warmEnd && t1 <= end) latencies.push(t1 - t0);
    }
  }),
);
latencies.sort((a, b) => a - b);
const q = p =>
  latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(
  JSON.stringify({
    rps: latencies.length / seconds,
    requests: latencies.length,
    p50: q(0.5),
    p99: q(0.99),
    errors,
    lastError,
  }),
);
agent.destroy();
