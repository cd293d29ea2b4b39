import { modelDeployment } from '../controller/testFixtures';
import { entitiesFor, modelEntityName } from './entities';

describe('catalog entities of a ModelDeployment', () => {
  const ref = { cluster: 'local', namespace: 'ml', name: 'chat' };

  it('is a model-server Component owned by spec.owner that depends on its model and provides its API', () => {
    const { component, api, model } = entitiesFor(ref, modelDeployment());
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
    const { api } = entitiesFor(
      ref,
      modelDeployment(m => (m.spec.engine = 'http')),
    );
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
