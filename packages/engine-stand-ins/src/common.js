// What every stand-in shares: reading and checking JSON bodies, answering, token counts, echo
// answers, deterministic embeddings. Each engine's module decides its own error shapes.
'use strict';

const crypto = require('crypto');

/** Bodies larger than this are refused (413), as a proxy in front of a real server would. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Reads the whole request body as text (undefined when it is too large). */
function readText(req) {
  return new Promise(resolve => {
    const chunks = [];
    let size = 0;
    req.on('data', c => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () =>
      resolve(
        size > MAX_BODY_BYTES
          ? undefined
          : Buffer.concat(chunks).toString('utf8'),
      ),
    );
    req.on('error', () => resolve(''));
  });
}

/**
 * Parses a JSON object body. Returns {value} or {error} with a message like the ones real servers
 * give (empty body, not JSON, not an object).
 */
function parseJsonObject(text) {
  if (text === undefined)
    return { error: 'request body too large', status: 413 };
  if (!text.trim()) return { error: 'missing request body', empty: true };
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `invalid JSON: ${e.message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { error: 'request body must be a JSON object' };
  }
  return { value };
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendText(
  res,
  status,
  text,
  contentType = 'text/plain; charset=utf-8',
) {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** A rough token count: about one token per word or punctuation mark, at least one for non-empty text. */
function countTokens(text) {
  if (typeof text !== 'string' || !text) return 0;
  return Math.max(
    1,
    (text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) || []).length,
  );
}

/** The text of an OpenAI-style message content (a string or a list of parts). */
function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map(p => (typeof p?.text === 'string' ? p.text : ''))
      .join(' ');
  return '';
}

/**
 * What a stand-in answers to a prompt: "Echo: x" is answered "x", so a test sees that its body
 * reached the server; anything else gets a short fixed answer.
 */
function answerFor(prompt) {
  const text = typeof prompt === 'string' ? prompt : '';
  return text.startsWith('Echo: ') ? text.slice(6) : 'OK.';
}

/** The answer split the way a streaming server sends it: one piece per word, spaces kept. */
function pieces(text) {
  const parts = text.match(/\S+\s*/g) || [text];
  return parts.length ? parts : [''];
}

/** A deterministic unit vector for a text: the same input always gives the same embedding. */
function embedding(text, dims = 16) {
  const digest = crypto.createHash('sha256').update(String(text)).digest();
  const v = [];
  for (let i = 0; i < dims; i++)
    v.push((digest[i % digest.length] - 127.5) / 127.5);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map(x => Math.round((x / norm) * 1e6) / 1e6);
}

const sha256 = text =>
  crypto.createHash('sha256').update(String(text)).digest('hex');

const sleep = ms => new Promise(r => setTimeout(r, ms));

/** The value of a command-line flag: `--name value` or `--name=value`; the last one wins, as argparse does. */
function flagValue(args, ...names) {
  let found;
  for (let i = 0; i < (args || []).length; i++) {
    const a = String(args[i]);
    for (const n of names) {
      if (a === n && i + 1 < args.length) found = String(args[i + 1]);
      else if (a.startsWith(`${n}=`)) found = a.slice(n.length + 1);
    }
  }
  return found;
}

/** All values after a flag that takes several (argparse nargs='+'), e.g. vLLM's --served-model-name a b. */
function flagValues(args, name) {
  const list = (args || []).map(String);
  let out;
  for (let i = 0; i < list.length; i++) {
    if (list[i] === name) {
      out = [];
      for (let j = i + 1; j < list.length && !list[j].startsWith('-'); j++)
        out.push(list[j]);
    } else if (list[i].startsWith(`${name}=`)) {
      out = [list[i].slice(name.length + 1)];
    }
  }
  return out;
}

/** vLLM's buckets for vllm:e2e_request_latency_seconds. */
const LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480,
  960, 1920, 7680,
];

const hasFlag = (args, ...names) =>
  (args || []).some(a => names.includes(String(a).split('=')[0]));

module.exports = {
  MAX_BODY_BYTES,
  LATENCY_BUCKETS,
  readText,
  parseJsonObject,
  sendJson,
  sendText,
  countTokens,
  contentText,
  answerFor,
  pieces,
  embedding,
  sha256,
  sleep,
  flagValue,
  flagValues,
  hasFlag,
};
