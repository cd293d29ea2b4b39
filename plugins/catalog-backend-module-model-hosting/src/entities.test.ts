import {
  DeploymentResource,
  ModelDeployment,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { entitiesFor, modelEntityName } from './entities';

/** A vLLM deployment as the model-hosting API lists it. */
function item(
  change: (md: ModelDeployment) => void = () => {},
): DeploymentResource {
  const resource: ModelDeployment = {
    apiVersion: 'modelhosting.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: {
      name: 'chat',
      namespace: 'ml',
      uid: 'uid-1',
      resourceVersion: '1',
    },
    spec: {
      owner: 'group:default/ml-platform',
      engine: 'vllm',
      model: { name: 'model-a' },
      replicas: 1,
    },
    status: { activeModel: 'model-a' },
  };
  change(resource);
  const http = resource.spec.engine === 'http';
  return {
    cluster: 'local',
    resource,
    apiKind: http ? 'http' : 'openai',
    endpoint: `http://chat.ml.svc.cluster.local:${http ? 8080 : 8000}`,
  };
}

describe('catalog entities of a ModelDeployment', () => {
  it('is a model-server Component owned by spec.owner that depends on its model and provides its API', () => {
    const { component, api, model } = entitiesFor(item());
    expect(component).toMatchObject({
      kind: 'Component',
      metadata: {
        name: 'local.ml.chat',
        annotations: {
          'backstage.io/kubernetes-id': 'chat',
          'backstage.io/kubernetes-namespace': 'ml',
          'backstage.io/kubernetes-cluster': 'local',
        },
        links: [
          {
            url: 'http://chat.ml.svc.cluster.local:8000',
            title: 'In-cluster endpoint',
          },
        ],
      },
      spec: {
        type: 'model-server',
        owner: 'group:default/ml-platform',
        dependsOn: ['resource:default/model-a'],
        providesApis: ['api:default/local.ml.chat-api'],
      },
    });
    expect(model).toMatchObject({
      kind: 'Resource',
      metadata: { name: 'model-a', title: 'model-a' },
      spec: { type: 'ai-model' },
    });
    expect(api).toMatchObject({
      kind: 'API',
      metadata: { name: 'local.ml.chat-api' },
      spec: { type: 'openapi' },
    });
    expect(api.spec!.definition).toContain('/v1/chat/completions');
  });

  it('describes an HTTP predictor with the V2 inference protocol', () => {
    const { api } = entitiesFor(item(m => (m.spec.engine = 'http')));
    expect(api.spec!.definition).toContain('/v2/models/model-a/infer');
  });

  it('names models the catalog accepts', () => {
    expect(modelEntityName('meta-llama/Llama-3.1-8B-Instruct')).toBe(
      'meta-llama-llama-3.1-8b-instruct',
    );
    expect(modelEntityName('llama3.1:8b')).toBe('llama3.1-8b');
    expect(modelEntityName('x'.repeat(100))).toHaveLength(63);
  });
});
