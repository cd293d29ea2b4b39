import { ModelDeployment } from '@internal/backstage-plugin-model-hosting-common';
import { EngineCall } from './EngineAccess';

/** What one health check found. */
export interface ProbeResult {
  healthy: boolean;
  message: string;
  /** False when the backend could not get to the server at all (e.g. refused by the API server): restarting the pods would not help. */
  recoverable?: boolean;
  /** Models pulled because they were missing (Ollama with autoPull). */
  pulled: string[];
}

class ProbeFailure extends Error {}

/** The API server's service proxy refused the backend (RBAC): the model server was never asked. */
class AccessDenied extends ProbeFailure {}

function checkAccess(status: number, path: string) {
  if (status === 401 || status === 403) {
    throw new AccessDenied(
      `the backend may not reach the model server through the API server (HTTP ${status} on ${path}); check its RBAC for services/proxy`,
    );
  }
}

async function getJson(call: EngineCall, path: string): Promise<any> {
  const res = await call('GET', path);
  checkAccess(res.status, path);
  if (res.status >= 400)
    throw new ProbeFailure(`GET ${path} answered ${res.status}`);
  try {
    return JSON.parse(res.text);
  } catch (e) {
    throw new ProbeFailure(
      `GET ${path} returned malformed JSON: ${(e as Error).message}`,
    );
  }
}

async function postJson(
  call: EngineCall,
  path: string,
  body: unknown,
  timeoutMs?: number,
): Promise<any> {
  const res = await call('POST', path, body, timeoutMs);
  if (res.status >= 400)
    throw new ProbeFailure(
      `POST ${path} answered ${res.status}: ${res.text.slice(0, 200)}`,
    );
  try {
    return JSON.parse(res.text);
  } catch (e) {
    throw new ProbeFailure(
      `POST ${path} returned malformed JSON: ${(e as Error).message}`,
    );
  }
}

/** Ollama lists "llama3.1:8b" for a pull of "llama3.1:8b" and "nomic-embed-text:latest" for "nomic-embed-text". */
const sameOllamaModel = (a: string, b: string) =>
  a === b || `${a}:latest` === b || a === `${b}:latest`;

async function probeOllama(
  call: EngineCall,
  md: ModelDeployment,
): Promise<ProbeResult> {
  const hc = md.spec.healthCheck ?? {};
  const tags = await getJson(call, '/api/tags');
  if (!Array.isArray(tags?.models))
    throw new ProbeFailure('GET /api/tags has no models list');
  const present: string[] = tags.models.map(
    (m: { name?: string; model?: string }) => m.name ?? m.model,
  );
  const expected = hc.expectedModels?.length
    ? hc.expectedModels
    : [md.spec.model.name];
  const missing = expected.filter(
    e => !present.some(p => sameOllamaModel(e, p)),
  );
  const pulled: string[] = [];
  if (missing.length && !hc.autoPull) {
    return {
      healthy: false,
      message: `missing models: ${missing.join(', ')} (autoPull is off)`,
      pulled,
    };
  }
  for (const model of missing) {
    const result = await postJson(
      call,
      '/api/pull',
      { model, stream: false },
      30 * 60_000,
    );
    if (result?.status !== 'success')
      throw new ProbeFailure(
        `pulling ${model} did not succeed: ${JSON.stringify(result).slice(
          0,
          200,
        )}`,
      );
    pulled.push(model);
  }
  if (hc.inferenceTest?.enabled) {
    const answer = await postJson(
      call,
      '/api/generate',
      {
        model: md.spec.model.name,
        prompt: hc.inferenceTest.prompt ?? 'Say OK.',
        stream: false,
      },
      (hc.inferenceTest.timeoutSeconds ?? 30) * 1000,
    );
    if (typeof answer?.response !== 'string')
      throw new ProbeFailure('POST /api/generate returned no response text');
  }
  return {
    healthy: true,
    message: pulled.length
      ? `pulled ${pulled.join(', ')}`
      : `${present.length} model(s) present`,
    pulled,
  };
}

async function probeOpenAi(
  call: EngineCall,
  md: ModelDeployment,
): Promise<ProbeResult> {
  const hc = md.spec.healthCheck ?? {};
  const served = md.status?.activeModel ?? md.spec.model.name;
  if (md.spec.engine === 'vllm') {
    const health = await call('GET', '/health');
    checkAccess(health.status, '/health');
    if (health.status >= 400)
      throw new ProbeFailure(`GET /health answered ${health.status}`);
  }
  const models = await getJson(call, '/v1/models');
  if (!Array.isArray(models?.data))
    throw new ProbeFailure('GET /v1/models has no data list');
  const ids: string[] = models.data.map((m: { id: string }) => m.id);
  if (!ids.includes(served))
    return {
      healthy: false,
      message: `serves ${ids.join(', ') || 'nothing'}, not ${served}`,
      pulled: [],
    };
  if (hc.inferenceTest?.enabled) {
    const answer = await postJson(
      call,
      '/v1/chat/completions',
      {
        model: served,
        messages: [
          { role: 'user', content: hc.inferenceTest.prompt ?? 'Say OK.' },
        ],
        max_tokens: 8,
      },
      (hc.inferenceTest.timeoutSeconds ?? 30) * 1000,
    );
    if (typeof answer?.choices?.[0]?.message?.content !== 'string')
      throw new ProbeFailure('POST /v1/chat/completions returned no message');
  }
  return { healthy: true, message: `serves ${served}`, pulled: [] };
}

async function probeHttp(
  call: EngineCall,
  md: ModelDeployment,
): Promise<ProbeResult> {
  const path = md.spec.healthCheck?.path ?? '/v2/health/ready';
  const res = await call('GET', path);
  checkAccess(res.status, path);
  if (res.status >= 400)
    return {
      healthy: false,
      message: `GET ${path} answered ${res.status}`,
      pulled: [],
    };
  return {
    healthy: true,
    message: `GET ${path} answered ${res.status}`,
    pulled: [],
  };
}

/** Runs the engine's checks; every failure (timeout, 5xx, malformed JSON) becomes an unhealthy result with the reason. */
export async function probe(
  call: EngineCall,
  md: ModelDeployment,
): Promise<ProbeResult> {
  try {
    switch (md.spec.engine) {
      case 'ollama':
        return await probeOllama(call, md);
      case 'vllm':
      case 'openai':
        return await probeOpenAi(call, md);
      default:
        return await probeHttp(call, md);
    }
  } catch (e) {
    const message = (e as Error).message;
    return {
      healthy: false,
      message,
      pulled: [],
      recoverable: !(e instanceof AccessDenied),
    };
  }
}
