import YAML from 'yaml';
import { EngineApiKind } from '@modelhosting/backstage-plugin-model-hosting-common';

/** A small OpenAPI document for what the model server answers, as the catalog's API entity shows it. */
export function apiDefinition(
  kind: EngineApiKind,
  server: string,
  model: string,
): string {
  const base = { openapi: '3.0.3', servers: [{ url: server }] };
  if (kind === 'http') {
    return YAML.stringify({
      ...base,
      info: {
        title: `${model} predictor`,
        version: 'v2',
        description:
          'Open Inference Protocol (V2), as MLServer and KServe speak it.',
      },
      paths: {
        '/v2/health/ready': {
          get: {
            summary: 'Readiness',
            responses: { 200: { description: 'ready' } },
          },
        },
        [`/v2/models/${model}/infer`]: {
          post: {
            summary: 'Predict',
            requestBody: {
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['inputs'],
                    properties: {
                      inputs: { type: 'array', items: { type: 'object' } },
                    },
                  },
                },
              },
            },
            responses: {
              200: {
                description: 'outputs',
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      properties: {
                        outputs: { type: 'array', items: { type: 'object' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    });
  }
  const message = {
    type: 'object',
    required: ['role', 'content'],
    properties: {
      role: { type: 'string', enum: ['system', 'user', 'assistant'] },
      content: { type: 'string' },
    },
  };
  return YAML.stringify({
    ...base,
    info: {
      title: `${model} (OpenAI-compatible)`,
      version: 'v1',
      description: `OpenAI-compatible API serving ${model}.`,
    },
    paths: {
      '/v1/models': {
        get: {
          summary: 'List served models',
          responses: { 200: { description: 'models' } },
        },
      },
      '/v1/chat/completions': {
        post: {
          summary: 'Chat completion',
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['model', 'messages'],
                  properties: {
                    model: { type: 'string', example: model },
                    messages: { type: 'array', items: message },
                    stream: { type: 'boolean' },
                    max_tokens: { type: 'integer' },
                  },
                },
              },
            },
          },
          responses: { 200: { description: 'completion' } },
        },
      },
    },
  });
}
