import { isLoaderSource, modelCacheDir, parsePvcSource } from './modelCache';

describe('modelCacheDir', () => {
  it('places each source and revision in its own directory', () => {
    expect(modelCacheDir('hf://meta-llama/Llama-3.1-8B-Instruct')).toBe(
      'hf/meta-llama-llama-3.1-8b-instruct/default',
    );
    expect(modelCacheDir('hf://org/name@v2')).toBe('hf/org-name/v2');
    expect(modelCacheDir('hf://org/name', 'main')).toBe('hf/org-name/main');
    expect(modelCacheDir('s3://models/iris', '1.4.0')).toBe(
      's3/models-iris/1.4.0',
    );
    expect(modelCacheDir('s3://models/../../etc')).toBe(
      's3/models-..-..-etc/default',
    );
    expect(
      modelCacheDir(`s3://b/${'x'.repeat(300)}`).split('/')[1],
    ).toHaveLength(100);
  });

  it('knows which sources the loader fetches', () => {
    expect(['hf://a/b', 's3://b/p', 'pvc://c/p'].map(isLoaderSource)).toEqual([
      true,
      true,
      true,
    ]);
    expect(
      ['ollama://llama3.1:8b', 'https://x', undefined].map(isLoaderSource),
    ).toEqual([false, false, false]);
  });
});

describe('parsePvcSource', () => {
  it.each([
    ['pvc://weights/llama/8b', { claim: 'weights', path: 'llama/8b' }],
    ['pvc://weights', { claim: 'weights', path: '' }],
    ['pvc://weights/iris/', { claim: 'weights', path: 'iris' }],
    ['pvc://weights/../secrets', undefined],
    ['pvc://weights/a//b', undefined],
    ['pvc://weights/./a', undefined],
    ['pvc://Weights/a', undefined],
    ['pvc://', undefined],
    ['s3://bucket/a', undefined],
  ])('%s', (source, expected) => {
    expect(parsePvcSource(source)).toEqual(expected);
  });
});
