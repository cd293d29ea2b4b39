import { modelDeployment } from '../controller/testFixtures';
import { NotFoundError } from '@backstage/errors';
import {
  lookupOf,
  requireOneOwner,
  resolveModel,
  unknownModelIn,
} from './modelIds';

const entries = (c: Array<{ entry: unknown }>) => c.map(x => x.entry);

const entry = (
  namespace: string,
  name: string,
  owner: string,
  model = 'llama3.1:8b',
  cluster = 'local',
) => ({
  cluster: { name: cluster } as any,
  ref: { cluster, namespace, name },
  md: modelDeployment(m => {
    m.metadata.namespace = namespace;
    m.metadata.name = name;
    m.spec.owner = owner;
    m.spec.model.name = model;
    m.status = { activeModel: model };
  }),
});

describe('resolveModel', () => {
  const ml = entry('ml-serving', 'chat', 'group:default/ml-platform');
  const squat = entry('team-x', 'llama', 'group:default/team-x');

  it('routes a namespaced id to that namespace only: a squatter elsewhere gets nothing', () => {
    expect(
      entries(
        resolveModel('ml-serving/llama3.1:8b', lookupOf([ml, squat]), []),
      ),
    ).toEqual([ml]);
    expect(
      entries(resolveModel('team-x/llama3.1:8b', lookupOf([ml, squat]), [])),
    ).toEqual([squat]);
  });

  it('serves a bare name only when the admins published it, and only from the bound deployment', () => {
    expect(() =>
      resolveModel('llama3.1:8b', lookupOf([ml, squat]), []),
    ).toThrow("No deployment serves the model 'llama3.1:8b'");
    const published = [
      { model: 'llama3.1:8b', namespace: 'ml-serving', name: 'chat' },
    ];
    expect(
      entries(resolveModel('llama3.1:8b', lookupOf([ml, squat]), published)),
    ).toEqual([ml]);
  });

  it('refuses an id that deployments of several owners serve', () => {
    const other = entry(
      'ml-serving',
      'chat',
      'group:default/data-science',
      'llama3.1:8b',
      'east',
    );
    const both = resolveModel(
      'ml-serving/llama3.1:8b',
      lookupOf([ml, other]),
      [],
    );
    expect(() => requireOneOwner('ml-serving/llama3.1:8b', both)).toThrow(
      "The model 'ml-serving/llama3.1:8b' is served by deployments of several owners (group:default/ml-platform, group:default/data-science); ask the admins to publish which one it means",
    );
    // Among what the caller may invoke there is one owner: no conflict.
    expect(() =>
      requireOneOwner('ml-serving/llama3.1:8b', both.slice(0, 1)),
    ).not.toThrow();
  });

  it('keeps a model name with slashes whole after its namespace', () => {
    const vllm = entry(
      'ml-serving',
      'vllm',
      'group:default/ml-platform',
      'meta-llama/Llama-3.1-8B-Instruct',
    );
    expect(
      entries(
        resolveModel(
          'ml-serving/meta-llama/Llama-3.1-8B-Instruct',
          lookupOf([vllm]),
          [],
        ),
      ),
    ).toEqual([vllm]);
  });

  it('answers for every model of a pool, and says which need a switch first', () => {
    const pooled = entry(
      'ml-serving',
      'gpu',
      'group:default/ml-platform',
      'model-a',
    );
    pooled.md.spec.models = [{ name: 'model-b' }];
    expect(resolveModel('ml-serving/model-a', lookupOf([pooled]), [])).toEqual([
      { entry: pooled, model: 'model-a', servingNow: true },
    ]);
    expect(resolveModel('ml-serving/model-b', lookupOf([pooled]), [])).toEqual([
      { entry: pooled, model: 'model-b', servingNow: false },
    ]);
    expect(() =>
      resolveModel('ml-serving/model-c', lookupOf([pooled]), []),
    ).toThrow("No deployment serves the model 'ml-serving/model-c'");
    // The gateway names the pool to callers who may invoke the deployment, and only to them.
    expect(unknownModelIn('ml-serving/model-c', [pooled], () => false)).toEqual(
      new NotFoundError(
        "No deployment in ml-serving serves 'model-c'; its models (pools included): model-a, model-b",
      ),
    );
    expect(
      unknownModelIn('ml-serving/model-c', [], () => false),
    ).toBeUndefined();
  });

  it('routes every expected model of an engine that serves several at once, without a switch', () => {
    const ollama = entry(
      'ml-serving',
      'ollama',
      'group:default/ml-platform',
      'llama3.1:8b',
    );
    ollama.md.spec.healthCheck = {
      expectedModels: ['llama3.1:8b', 'nomic-embed-text'],
    };
    expect(
      resolveModel(
        'ml-serving/nomic-embed-text',
        lookupOf([ollama]),
        [],
        () => true,
      ),
    ).toEqual([{ entry: ollama, model: 'nomic-embed-text', servingNow: true }]);
    expect(() =>
      resolveModel(
        'ml-serving/nomic-embed-text',
        lookupOf([ollama]),
        [],
        () => false,
      ),
    ).toThrow();
  });
});
