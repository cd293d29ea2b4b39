import { bytesText, modelCacheText, storageText } from './storageText';

const spec = (extra: object = {}) =>
  ({
    owner: 'group:default/ml-platform',
    engine: 'http',
    model: { name: 'iris' },
    ...extra,
  } as any);

describe('storage as the deployment page says it', () => {
  it('reads sizes in binary units', () => {
    expect(bytesText(undefined)).toBe('—');
    expect(bytesText(512)).toBe('512 B');
    expect(bytesText(1536)).toBe('1.5 KiB');
    expect(bytesText(4.2 * 2 ** 30)).toBe('4.2 GiB');
  });

  it('names where model files live: nothing, emptyDir, a new claim, an existing claim', () => {
    expect(storageText(spec(), 'iris')).toBe(
      "none: the engine downloads into the pod's own storage",
    );
    expect(
      storageText(
        spec({ model: { name: 'iris', source: 's3://models/iris' } }),
        'iris',
      ),
    ).toBe('in the pod (emptyDir): fetched again at every start');
    // Ollama pulls its own models: nothing is loaded before it starts.
    expect(
      storageText(
        spec({
          engine: 'ollama',
          model: { name: 'llama3.1:8b', source: 'ollama://llama3.1:8b' },
        }),
        'chat',
      ),
    ).toBe("none: the engine downloads into the pod's own storage");
    expect(
      storageText(
        spec({ storage: { cache: { type: 'emptyDir', size: '20Gi' } } }),
        'iris',
      ),
    ).toBe('in the pod (emptyDir, up to 20Gi): fetched again at every start');
    expect(
      storageText(
        spec({
          storage: {
            cache: { type: 'pvc', size: '100Gi', accessMode: 'ReadWriteMany' },
          },
        }),
        'iris',
      ),
    ).toBe(
      'claim iris-models (100Gi, default class, ReadWriteMany, deleted with the deployment)',
    );
    expect(
      storageText(
        spec({ storage: { cache: { type: 'pvc', claimName: 'shared' } } }),
        'iris',
      ),
    ).toBe('existing claim shared');
  });

  it('says what the loader reported: size, hit or download, and how long', () => {
    expect(modelCacheText(undefined)).toBe('—');
    expect(
      modelCacheText({ hit: true, loadSeconds: 0.02, bytes: 3 * 2 ** 20 }),
    ).toBe('3.0 MiB, already in the cache in 0.02 s');
    expect(modelCacheText({ hit: false, loadSeconds: 12 })).toBe(
      'downloaded in 12 s',
    );
  });
});
