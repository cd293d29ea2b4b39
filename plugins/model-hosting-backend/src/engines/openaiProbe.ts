import {
  getJson,
  getOk,
  ModelServerCall,
  postJson,
  ProbeFailure,
  ProbeResult,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import {
  ModelDeployment,
  servedModel,
} from '@modelhosting/backstage-plugin-model-hosting-common';

/**
 * The check of an OpenAI-compatible server: an optional health path, `GET /v1/models` must list
 * the model it should serve, and an optional chat completion.
 */
export async function probeOpenAiCompatible(
  call: ModelServerCall,
  md: ModelDeployment,
  healthPath?: string,
): Promise<ProbeResult> {
  const hc = md.spec.healthCheck ?? {};
  const served = servedModel(md);
  if (healthPath) await getOk(call, healthPath);
  const models = await getJson(call, '/v1/models');
  if (!Array.isArray(models?.data))
    throw new ProbeFailure('GET /v1/models has no data list');
  const ids: string[] = models.data.map((m: { id?: unknown }) => String(m?.id));
  if (!ids.includes(served)) {
    return {
      healthy: false,
      message: `serves ${
        ids.slice(0, 10).join(', ') || 'nothing'
      }, not ${served}`,
      pulled: [],
    };
  }
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
    if (typeof answer?.choices?.[0]?.message?.content !== 'string') {
      throw new ProbeFailure('POST /v1/chat/completions returned no message');
    }
  }
  return { healthy: true, message: `serves ${served}`, pulled: [] };
}
