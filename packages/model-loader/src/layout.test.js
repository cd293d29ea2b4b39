const {
  modelCacheDir: planned,
} = require('@modelhosting/backstage-plugin-model-hosting-common');
const { modelCacheDir, parseSource, checkRelativePath } = require('./layout');

describe('modelCacheDir', () => {
  const cases = [
    ['hf://meta-llama/Llama-3.1-8B-Instruct', undefined],
    ['hf://org/name@v2', undefined],
    ['hf://org/name@v2', 'ignored'],
    ['hf://org/name', 'main'],
    ['hf://Org/Name@refs/pr/1', undefined],
    ['s3://models/iris-classifier', '2'],
    ['s3://models/iris', '1.4.0'],
    ['s3://models/../../etc', undefined],
    ['s3://models/iris/', 'V 2'],
    ['pvc://ollama-pvc/models', undefined],
    ['ollama://llama3.1:8b', undefined],
    [`s3://b/${'x'.repeat(300)}`, 'y'.repeat(120)],
    ['not a url', undefined],
    ['hf://..', '..'],
  ];

  it('is the rule of the reconciler, exactly', () => {
    for (const [source, version] of cases)
      expect(modelCacheDir(source, version)).toBe(planned(source, version));
  });

  it('keeps every directory inside the cache', () => {
    for (const [source, version] of cases) {
      const rel = modelCacheDir(source, version);
      expect(rel.split('/')).toHaveLength(3);
      for (const part of rel.split('/')) {
        expect(part).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
        expect(part.length).toBeLessThanOrEqual(100);
        expect(part).not.toBe('..');
      }
    }
    expect(modelCacheDir('s3://models/iris', '2')).toBe('s3/models-iris/2');
    expect(modelCacheDir('hf://org/name@v2')).toBe('hf/org-name/v2');
  });
});

describe('parseSource', () => {
  it('reads what each scheme names', () => {
    expect(parseSource('hf://org/name')).toEqual({
      scheme: 'hf',
      repo: 'org/name',
      revision: 'main',
    });
    expect(parseSource('hf://org/name@v2', 'x').revision).toBe('v2');
    expect(parseSource('hf://org/name', 'abc123').revision).toBe('abc123');
    expect(parseSource('hf://gpt2').repo).toBe('gpt2');
    expect(parseSource('s3://models/iris', 2)).toEqual({
      scheme: 's3',
      bucket: 'models',
      prefix: 'iris',
      revision: '2',
    });
    expect(parseSource('s3://models').prefix).toBe('');
    expect(parseSource('pvc://ollama-pvc/a/b')).toEqual({
      scheme: 'pvc',
      claim: 'ollama-pvc',
      path: 'a/b',
      revision: null,
    });
    expect(parseSource('ollama://llama3.1:8b').scheme).toBe('ollama');
  });

  it('refuses what it cannot fetch, naming the source', () => {
    const bad = [
      ['https://example/model', /unknown source|does not fetch/],
      ['hf://a/b/c', /expected hf:\/\/org\/name/],
      ['hf://../x', /expected hf:\/\/org\/name/],
      ['hf://org/name@../../x', /revision/],
      ['s3://Bad_Bucket/x', /bucket/],
      ['s3://models/../x', /\.\./],
      ['pvc://claim/../other', /path/],
      ['pvc://Claim/x', /claim/],
      ['oci://registry/x:1', /does not fetch oci/],
      ['hf://org/na\nme', /not a valid source/],
      ['', /no source/],
    ];
    for (const [source, message] of bad)
      expect(() => parseSource(source)).toThrow(message);
    expect(() => parseSource('s3://models/iris', '../1')).toThrow(/version/);
  });
});

describe('checkRelativePath', () => {
  it('lets ordinary names through', () => {
    for (const ok of [
      'config.json',
      'tokenizer/tokenizer.json',
      'a b/ü.bin',
      '.gitattributes',
    ])
      expect(checkRelativePath(ok)).toBeNull();
  });

  it('refuses names that would leave the model or mislead it', () => {
    for (const bad of [
      '../escape',
      'a/../../b',
      '/etc/passwd',
      'a\0b',
      'a\\b',
      './x',
      'a//b',
      '',
      'x/',
      '.model-hosting.json',
      `${'x'.repeat(256)}/y`,
      'a\nb',
    ])
      expect(checkRelativePath(bad)).not.toBeNull();
  });
});
