import { modelDeployment } from '../controller/testFixtures';
import { EngineCall } from './EngineAccess';
import { probe } from './probes';
import { sumMetric } from '../usage/engineCounters';

const answering =
  (routes: Record<string, { status?: number; text: string }>): EngineCall =>
  async (method, path) => {
    const r = routes[`${method} ${path}`];
    if (!r) return { status: 404, text: 'not found' };
    return { status: r.status ?? 200, text: r.text };
  };

describe('probe', () => {
  const vllm = modelDeployment(m => (m.status = { activeModel: 'model-a' }));

  it('is healthy when vLLM is up and serves the active model', async () => {
    const result = await probe(
      answering({
        'GET /health': { text: '' },
        'GET /v1/models': {
          text: JSON.stringify({ data: [{ id: 'model-a' }] }),
        },
      }),
      vllm,
    );
    expect(result).toMatchObject({ healthy: true, message: 'serves model-a' });
  });

  it('names what is wrong: another model, malformed JSON, a timeout', async () => {
    expect(
      (
        await probe(
          answering({
            'GET /health': { text: '' },
            'GET /v1/models': { text: '{"data":[{"id":"other"}]}' },
          }),
          vllm,
        )
      ).message,
    ).toBe('serves other, not model-a');
    expect(
      (
        await probe(
          answering({
            'GET /health': { text: '' },
            'GET /v1/models': { text: '{"data": [' },
          }),
          vllm,
        )
      ).message,
    ).toMatch(/GET \/v1\/models returned malformed JSON/);
    const hanging: EngineCall = async () => {
      throw new Error('GET /health timed out after 1000 ms');
    };
    expect(await probe(hanging, vllm)).toMatchObject({
      healthy: false,
      message: 'GET /health timed out after 1000 ms',
      recoverable: true,
    });
  });

  it('does not blame the model when the API server refuses the backend', async () => {
    const result = await probe(
      answering({ 'GET /health': { status: 403, text: 'forbidden' } }),
      vllm,
    );
    expect(result).toMatchObject({ healthy: false, recoverable: false });
    expect(result.message).toMatch(
      /may not reach the model server through the API server \(HTTP 403/,
    );
  });

  it('reports missing Ollama models when it may not pull them', async () => {
    const ollama = modelDeployment(m => {
      m.spec.engine = 'ollama';
      m.spec.healthCheck = { expectedModels: ['a', 'b'], autoPull: false };
    });
    const result = await probe(
      answering({
        'GET /api/tags': {
          text: JSON.stringify({ models: [{ name: 'a:latest' }] }),
        },
      }),
      ollama,
    );
    expect(result).toMatchObject({
      healthy: false,
      message: 'missing models: b (autoPull is off)',
    });
  });

  it('sums a metric over its labels', () => {
    expect(
      sumMetric('# TYPE x counter\nx{a="1"} 2\nx{a="2"} 3\nxy 100\n', 'x'),
    ).toBe(5);
    expect(sumMetric('', 'x')).toBeUndefined();
  });
});
