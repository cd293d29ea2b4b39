// The OpenAI-compatible API as three real servers answer it: Ollama (/v1/*), vLLM and llama.cpp's
// server. The shapes follow each server's documentation; the differences (ids, extra fields, how a
// wrong model is answered) are per flavor.
'use strict';

const crypto = require('crypto');
const {
  countTokens,
  contentText,
  answerFor,
  pieces,
  embedding,
  sleep,
} = require('./common');

const now = () => Math.floor(Date.now() / 1000);
const hex = n => crypto.randomBytes(n).toString('hex');

const ids = {
  ollama: {
    chat: () => `chatcmpl-${Math.floor(Math.random() * 1000)}`,
    completion: () => `cmpl-${Math.floor(Math.random() * 1000)}`,
  },
  vllm: {
    chat: () => `chatcmpl-${hex(16)}`,
    completion: () => `cmpl-${hex(16)}`,
    embedding: () => `embd-${hex(16)}`,
  },
  llamacpp: {
    chat: () => `chatcmpl-${hex(16)}`,
    completion: () => `cmpl-${hex(16)}`,
  },
};

function extras(flavor) {
  if (flavor === 'ollama') return { system_fingerprint: 'fp_ollama' };
  if (flavor === 'llamacpp') return { system_fingerprint: 'b5090-stand-in' };
  return {};
}

function usage(flavor, prompt, completion) {
  const u = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  if (flavor === 'vllm') u.prompt_tokens_details = null;
  return u;
}

/** The answer's pieces, cut at max_tokens (finish_reason 'length' then). */
function answer(prompt, body) {
  let parts = pieces(answerFor(prompt));
  const max = body.max_completion_tokens ?? body.max_tokens ?? body.n_predict;
  let finish = 'stop';
  if (Number.isInteger(max) && max > 0 && parts.length > max) {
    parts = parts.slice(0, max);
    finish = 'length';
  }
  return { parts, finish, tokens: parts.length };
}

/** Writes server-sent events one piece at a time, state.streamDelayMs apart, then [DONE]. */
async function stream(ctx, events) {
  const { res, state } = ctx;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  let closed = false;
  res.on('close', () => (closed = true));
  for (let i = 0; i < events.length; i++) {
    if (closed) return false;
    res.write(`data: ${JSON.stringify(events[i])}\n\n`);
    if (i < events.length - 1 && state.streamDelayMs > 0)
      await sleep(state.streamDelayMs);
  }
  res.end('data: [DONE]\n\n');
  return true;
}

/** POST /v1/chat/completions. Returns the tokens {prompt, completion} served, or undefined on a refusal. */
async function chatCompletion(ctx, body, { flavor, model }) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const promptText = messages.map(m => contentText(m?.content)).join('\n');
  const last = messages[messages.length - 1];
  const { parts, finish, tokens } = answer(contentText(last?.content), body);
  const promptTokens = Math.max(
    1,
    countTokens(promptText) + 4 * messages.length,
  );
  const id = ids[flavor].chat();
  const created = now();
  const head = {
    id,
    object: 'chat.completion',
    created,
    model,
    ...extras(flavor),
  };
  if (body.stream === true) {
    const chunk = (delta, finishReason, more = {}) => ({
      ...head,
      object: 'chat.completion.chunk',
      choices: [
        {
          index: 0,
          delta,
          ...(flavor === 'vllm' ? { logprobs: null } : {}),
          finish_reason: finishReason,
        },
      ],
      ...more,
    });
    const events = [];
    if (flavor !== 'ollama')
      events.push(chunk({ role: 'assistant', content: '' }, null));
    parts.forEach(p =>
      events.push(
        chunk(
          flavor === 'ollama'
            ? { role: 'assistant', content: p }
            : { content: p },
          null,
        ),
      ),
    );
    events.push(
      chunk(
        flavor === 'ollama'
          ? { role: 'assistant', content: '' }
          : { content: '' },
        finish,
      ),
    );
    if (body.stream_options?.include_usage === true) {
      events.push({
        ...head,
        object: 'chat.completion.chunk',
        choices: [],
        usage: usage(flavor, promptTokens, tokens),
      });
    }
    const done = await stream(ctx, events);
    return done ? { prompt: promptTokens, completion: tokens } : undefined;
  }
  const message = { role: 'assistant', content: parts.join('') };
  if (flavor === 'vllm')
    Object.assign(message, { reasoning_content: null, tool_calls: [] });
  const choice = { index: 0, message, finish_reason: finish };
  if (flavor === 'vllm')
    Object.assign(choice, { logprobs: null, stop_reason: null });
  const out = {
    ...head,
    choices: [choice],
    usage: usage(flavor, promptTokens, tokens),
  };
  if (flavor === 'vllm') out.prompt_logprobs = null;
  if (flavor === 'llamacpp') {
    out.timings = {
      prompt_n: promptTokens,
      prompt_ms: 1,
      predicted_n: tokens,
      predicted_ms: 1,
    };
  }
  ctx.sendJson(200, out);
  return { prompt: promptTokens, completion: tokens };
}

/** POST /v1/completions. */
async function completion(ctx, body, { flavor, model }) {
  const prompt = Array.isArray(body.prompt)
    ? body.prompt.map(String).join('\n')
    : String(body.prompt ?? '');
  const { parts, finish, tokens } = answer(prompt, body);
  const promptTokens = Math.max(1, countTokens(prompt));
  const head = {
    id: ids[flavor].completion(),
    object: 'text_completion',
    created: now(),
    model,
    ...extras(flavor),
  };
  const choiceExtras =
    flavor === 'vllm'
      ? { logprobs: null, stop_reason: null, prompt_logprobs: null }
      : {};
  if (body.stream === true) {
    const events = parts.map(p => ({
      ...head,
      choices: [{ index: 0, text: p, ...choiceExtras, finish_reason: null }],
    }));
    events.push({
      ...head,
      choices: [{ index: 0, text: '', ...choiceExtras, finish_reason: finish }],
    });
    if (body.stream_options?.include_usage === true) {
      events.push({
        ...head,
        choices: [],
        usage: usage(flavor, promptTokens, tokens),
      });
    }
    const done = await stream(ctx, events);
    return done ? { prompt: promptTokens, completion: tokens } : undefined;
  }
  ctx.sendJson(200, {
    ...head,
    choices: [
      {
        index: 0,
        text: parts.join(''),
        ...choiceExtras,
        finish_reason: finish,
      },
    ],
    usage: usage(flavor, promptTokens, tokens),
  });
  return { prompt: promptTokens, completion: tokens };
}

/** POST /v1/embeddings: input is a string or a list of strings. Returns undefined when input is missing. */
function embeddings(ctx, body, { flavor, model, dims = 16 }) {
  const input = body.input;
  const inputs =
    typeof input === 'string'
      ? [input]
      : Array.isArray(input)
      ? input
      : undefined;
  if (!inputs || inputs.length === 0) return undefined;
  const promptTokens = inputs.reduce(
    (n, t) => n + Math.max(1, countTokens(String(t))),
    0,
  );
  const out = {
    object: 'list',
    data: inputs.map((t, index) => ({
      object: 'embedding',
      embedding: embedding(t, dims),
      index,
    })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
  if (flavor === 'vllm')
    Object.assign(out, { id: ids.vllm.embedding(), created: now() });
  ctx.sendJson(200, out);
  return { prompt: promptTokens, completion: 0 };
}

module.exports = { chatCompletion, completion, embeddings, stream, now };
