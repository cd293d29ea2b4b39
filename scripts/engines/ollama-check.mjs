// Checks a real Ollama server against the endpoints the product uses, and measures it.
// Run through `bash scripts/engines/ollama.sh check [options]`, which builds what is missing and
// passes OLLAMA_BIN, OLLAMA_MODELS_DIR, OLLAMA_TINY_CHAT_MODELS, OLLAMA_TINY_EMBED_MODEL and
// OLLAMA_SERVE_ENV. Every server listens on a free 127.0.0.1 port and is stopped at the end.
//
// Options:
//   --shared        serve the cached models directory itself instead of a copy
//   --replicas N    also start N-1 more servers on one shared directory, each answering, and
//                   report whether anything in the directory changed
//   --pull ADDR     pull ADDR/library/<first chat model> (insecure) into an empty models
//                   directory and chat with it (ADDR from `ollama.sh registry start`)
// Prints one line per check and a JSON summary of the measurements; exits 1 if a check failed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const env = k =>
  process.env[k] ||
  (() => {
    throw new Error(`${k} is not set (run through ollama.sh check)`);
  })();
const BIN = env('OLLAMA_BIN');
const MODELS = env('OLLAMA_MODELS_DIR');
const [CHAT, CHAT2] = env('OLLAMA_TINY_CHAT_MODELS').split(' ');
const EMBED = process.env.OLLAMA_TINY_EMBED_MODEL || '';
const SERVE_ENV = Object.fromEntries(
  env('OLLAMA_SERVE_ENV')
    .split(' ')
    .map(kv => kv.split(/=(.*)/s).slice(0, 2)),
);

const args = process.argv.slice(2);
const opt = name => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1] ?? true;
};
const shared = !!opt('--shared');
const replicas = Number(opt('--replicas') || 1);
const pullFrom = opt('--pull');

const results = [];
const figures = {};
const servers = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ollama-check-'));
const ms = t0 => Math.round(performance.now() - t0);

function check(name, ok, detail = '') {
  results.push({ name, ok: !!ok });
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `  (${detail})` : ''}`,
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// RSS of a process and its descendants (ollama serve starts one runner process per model).
function treeRssKiB(pid) {
  const children = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      /* gone */
    }
  }
  let total = 0;
  const walk = p => {
    try {
      total += Number(
        /VmRSS:\s+(\d+)/.exec(
          fs.readFileSync(`/proc/${p}/status`, 'utf8'),
        )?.[1] || 0,
      );
    } catch {
      /* gone */
    }
    for (const c of children.get(p) || []) walk(c);
  };
  walk(pid);
  return total;
}

async function startServer(modelsDir, label) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = path.join(tmp, `${label}.log`);
  const out = fs.openSync(logFile, 'w');
  const t0 = performance.now();
  const child = spawn(BIN, ['serve'], {
    env: {
      ...process.env,
      ...SERVE_ENV,
      OLLAMA_HOST: `127.0.0.1:${port}`,
      OLLAMA_MODELS: modelsDir,
    },
    stdio: ['ignore', out, out],
  });
  const srv = { child, base, logFile, label };
  servers.push(srv);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(
        `${label}: ollama serve exited:\n${fs.readFileSync(logFile, 'utf8')}`,
      );
    try {
      if ((await fetch(`${base}/api/version`)).ok) break;
    } catch {
      /* not yet */
    }
    if (performance.now() - t0 > 30000)
      throw new Error(`${label}: ollama serve did not answer in 30 s`);
    await new Promise(r => setTimeout(r, 50));
  }
  srv.startedIn = ms(t0);
  srv.t0 = t0;
  return srv;
}

async function call(srv, method, p, body) {
  const res = await fetch(srv.base + p, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(120000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    /* streamed or plain */
  }
  return {
    status: res.status,
    text,
    json,
    type: res.headers.get('content-type') || '',
  };
}

function snapshot(dir) {
  const out = [];
  const walk = d => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.statSync(p);
      out.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort().join('\n');
}

async function main() {
  let dir = MODELS;
  if (!shared) {
    const t = performance.now();
    dir = path.join(tmp, 'models');
    fs.cpSync(MODELS, dir, { recursive: true });
    figures.copyModelsDirMs = ms(t);
  }
  const before = snapshot(MODELS);
  const s = await startServer(dir, 'server');
  figures.serveStartToVersionMs = s.startedIn;
  await new Promise(r => setTimeout(r, 500));
  figures.idleRssMiB = Math.round(treeRssKiB(s.child.pid) / 1024);

  let r = await call(s, 'GET', '/api/ps');
  check(
    'GET /api/ps before any request: nothing loaded',
    r.status === 200 && r.json?.models?.length === 0,
  );

  r = await call(s, 'GET', '/api/tags');
  const tags = (r.json?.models || []).map(m => m.name);
  check(
    'GET /api/tags lists the tiny models',
    r.status === 200 &&
      [CHAT, CHAT2, EMBED].filter(Boolean).every(n => tags.includes(n)),
    tags.join(', '),
  );
  const tag = r.json?.models?.find(m => m.name === CHAT);
  check(
    '/api/tags entries carry digest, size and details',
    /^[0-9a-f]{64}$/.test(tag?.digest || '') &&
      tag?.size > 0 &&
      tag?.details?.family === 'llama',
    `${tag?.digest?.slice(0, 12)} ${tag?.size} B ${
      tag?.details?.parameter_size
    } ${tag?.details?.quantization_level}`,
  );

  let t = performance.now();
  r = await call(s, 'POST', '/api/generate', {
    model: CHAT,
    prompt: 'Hello there',
    stream: false,
  });
  figures.firstGenerateMs = ms(t);
  figures.serveStartToFirstAnswerMs = ms(s.t0);
  check(
    'POST /api/generate (first, loads the model)',
    r.status === 200 &&
      r.json?.done === true &&
      typeof r.json?.response === 'string' &&
      r.json.response.length > 0 &&
      r.json.eval_count > 0,
    `${JSON.stringify(r.json?.response)} prompt_eval_count=${
      r.json?.prompt_eval_count
    } eval_count=${r.json?.eval_count} done_reason=${r.json?.done_reason}`,
  );

  t = performance.now();
  r = await call(s, 'POST', '/api/generate', {
    model: CHAT,
    prompt: 'Hello again',
    stream: false,
    options: { num_predict: 8 },
  });
  figures.warmGenerateMs = ms(t);
  check(
    'POST /api/generate (warm) honours options.num_predict',
    r.status === 200 && r.json?.eval_count === 8,
    `eval_count=${r.json?.eval_count}`,
  );

  r = await call(s, 'POST', '/api/generate', {
    model: CHAT,
    prompt: 'Stream it',
  });
  const lines = r.text
    .trim()
    .split('\n')
    .map(l => JSON.parse(l));
  check(
    'POST /api/generate streams NDJSON ending with done',
    r.status === 200 &&
      lines.length > 2 &&
      lines.at(-1).done === true &&
      lines.at(-1).eval_count > 0,
    `${lines.length} lines, ${r.type}`,
  );

  r = await call(s, 'POST', '/api/chat', {
    model: CHAT,
    messages: [{ role: 'user', content: 'Hi' }],
    stream: false,
  });
  check(
    'POST /api/chat',
    r.status === 200 &&
      r.json?.message?.role === 'assistant' &&
      r.json.message.content.length > 0 &&
      r.json.prompt_eval_count > 0,
    `${JSON.stringify(r.json?.message?.content)} prompt_eval_count=${
      r.json?.prompt_eval_count
    } eval_count=${r.json?.eval_count}`,
  );

  t = performance.now();
  r = await call(s, 'POST', '/v1/chat/completions', {
    model: CHAT,
    messages: [{ role: 'user', content: 'Hi' }],
    max_tokens: 5,
  });
  figures.warmChatCompletionMs = ms(t);
  const u = r.json?.usage;
  check(
    'POST /v1/chat/completions with usage',
    r.status === 200 &&
      r.json?.object === 'chat.completion' &&
      r.json.choices?.[0]?.message?.content?.length > 0 &&
      u?.completion_tokens === 5 &&
      u.prompt_tokens > 0 &&
      u.total_tokens === u.prompt_tokens + u.completion_tokens,
    `usage=${JSON.stringify(u)} finish_reason=${
      r.json?.choices?.[0]?.finish_reason
    } model=${r.json?.model}`,
  );

  r = await call(s, 'POST', '/v1/chat/completions', {
    model: CHAT,
    messages: [{ role: 'user', content: 'Hi' }],
    max_tokens: 6,
    stream: true,
    stream_options: { include_usage: true },
  });
  const events = r.text
    .split('\n\n')
    .map(e => e.trim())
    .filter(Boolean)
    .map(e => e.replace(/^data: /, ''));
  const chunks = events.filter(e => e !== '[DONE]').map(e => JSON.parse(e));
  const usageChunk = chunks.find(c => c.usage);
  check(
    'streaming /v1/chat/completions with stream_options.include_usage: a usage chunk, then [DONE]',
    r.status === 200 &&
      r.type.startsWith('text/event-stream') &&
      events.at(-1) === '[DONE]' &&
      usageChunk?.usage?.completion_tokens === 6 &&
      usageChunk.choices?.length === 0,
    `${chunks.length} chunks; usage chunk ${JSON.stringify(
      usageChunk?.usage,
    )} choices=${JSON.stringify(usageChunk?.choices)}`,
  );

  r = await call(s, 'POST', '/v1/chat/completions', {
    model: CHAT,
    messages: [{ role: 'user', content: 'Hi' }],
    max_tokens: 4,
    stream: true,
  });
  const plain = r.text
    .split('\n\n')
    .map(e => e.trim())
    .filter(Boolean)
    .map(e => e.replace(/^data: /, ''))
    .filter(e => e !== '[DONE]')
    .map(e => JSON.parse(e));
  check(
    'streaming /v1/chat/completions without include_usage has no usage chunk',
    r.status === 200 && plain.length > 0 && !plain.some(c => c.usage),
    `${plain.length} chunks`,
  );

  r = await call(s, 'GET', '/v1/models');
  check(
    'GET /v1/models',
    r.status === 200 && r.json?.data?.some(m => m.id === CHAT),
    (r.json?.data || []).map(m => m.id).join(', '),
  );

  r = await call(s, 'POST', '/v1/chat/completions', {
    model: 'no-such-model:latest',
    messages: [{ role: 'user', content: 'Hi' }],
  });
  check(
    'unknown model: 404 and nothing pulled',
    r.status === 404,
    `${r.status} ${r.text.trim().slice(0, 100)}`,
  );

  t = performance.now();
  r = await call(s, 'POST', '/v1/chat/completions', {
    model: CHAT2,
    messages: [{ role: 'user', content: 'Hi' }],
    max_tokens: 3,
  });
  figures.secondModelFirstAnswerMs = ms(t);
  check(
    `second model ${CHAT2} answers`,
    r.status === 200 && r.json?.usage?.completion_tokens === 3,
  );

  if (EMBED) {
    r = await call(s, 'POST', '/v1/embeddings', {
      model: EMBED,
      input: ['hello', 'world'],
    });
    const d = r.json?.data;
    check(
      'POST /v1/embeddings',
      r.status === 200 &&
        d?.length === 2 &&
        d[0].embedding.length === 64 &&
        r.json.usage?.prompt_tokens > 0,
      `${d?.length} vectors of ${
        d?.[0]?.embedding?.length
      }, usage=${JSON.stringify(r.json?.usage)}`,
    );
    r = await call(s, 'POST', '/api/embed', { model: EMBED, input: 'hello' });
    check(
      'POST /api/embed',
      r.status === 200 && r.json?.embeddings?.[0]?.length === 64,
      `prompt_eval_count=${r.json?.prompt_eval_count}`,
    );
    r = await call(s, 'POST', '/v1/embeddings', {
      model: CHAT,
      input: 'hello',
    });
    // Ollama's llama runner embeds with any model: a chat model answers too (not an error).
    console.log(
      `info a chat model asked for embeddings answers ${r.status}${
        r.status === 200
          ? ` (${r.json?.data?.[0]?.embedding?.length} values)`
          : ''
      }`,
    );
  }

  r = await call(s, 'GET', '/api/ps');
  const ps = r.json?.models || [];
  check(
    'GET /api/ps lists the loaded models',
    r.status === 200 && [CHAT, CHAT2].every(n => ps.some(m => m.name === n)),
    ps.map(m => `${m.name} ${m.size} B until ${m.expires_at}`).join('; '),
  );
  figures.loadedRssMiB = Math.round(treeRssKiB(s.child.pid) / 1024);
  figures.loadedModels = ps.length;

  if (replicas > 1) {
    const extra = [];
    for (let i = 1; i < replicas; i++)
      extra.push(await startServer(MODELS, `replica-${i}`));
    const answers = await Promise.all(
      [s, ...extra].map(x =>
        call(x, 'POST', '/v1/chat/completions', {
          model: CHAT,
          messages: [{ role: 'user', content: 'Hi' }],
          max_tokens: 3,
        }),
      ),
    );
    check(
      `${replicas} servers answer at once (the extra ones share ${MODELS})`,
      answers.every(
        a => a.status === 200 && a.json?.usage?.completion_tokens === 3,
      ),
    );
    figures.replicaRssMiB = extra.map(x =>
      Math.round(treeRssKiB(x.child.pid) / 1024),
    );
  }
  const after = snapshot(MODELS);
  check('the cached models directory is unchanged', before === after);

  if (pullFrom && pullFrom !== true) {
    const empty = path.join(tmp, 'pulled');
    fs.mkdirSync(empty);
    const p = await startServer(empty, 'puller');
    const name = `${pullFrom}/library/${CHAT}`;
    t = performance.now();
    r = await call(p, 'POST', '/api/pull', {
      model: name,
      insecure: true,
      stream: false,
    });
    figures.pullMs = ms(t);
    check(
      `POST /api/pull ${name} (insecure) into an empty models directory`,
      r.status === 200 && r.json?.status === 'success',
      r.text.trim().slice(0, 200),
    );
    r = await call(p, 'GET', '/api/tags');
    // Same layers, but not the same manifest digest: `ollama push` re-serialises the manifest
    // without the trailing newline of the local file.
    check(
      'the pulled model is listed with the same size',
      r.json?.models?.some(m => m.name === name && m.size === tag?.size),
      (r.json?.models || [])
        .map(m => `${m.name} ${m.size} B ${m.digest.slice(0, 12)}`)
        .join(', '),
    );
    r = await call(p, 'POST', '/v1/chat/completions', {
      model: name,
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 3,
    });
    check(
      'the pulled model answers',
      r.status === 200 && r.json?.usage?.completion_tokens === 3,
    );
  }
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error('FAIL', err.stack || err);
}
for (const x of servers) x.child.kill('SIGTERM');
await Promise.all(
  servers.map(x =>
    x.child.exitCode !== null
      ? null
      : new Promise(r => x.child.once('exit', r)),
  ),
);
if (failed || results.some(r => !r.ok)) {
  for (const x of servers)
    console.error(
      `--- ${x.label} log (tail)\n${fs
        .readFileSync(x.logFile, 'utf8')
        .split('\n')
        .slice(-30)
        .join('\n')}`,
    );
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(JSON.stringify(figures));
process.exit(failed || results.some(r => !r.ok) ? 1 : 0);
