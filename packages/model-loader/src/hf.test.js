const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startFakeHub } = require('./testing/fakeHub');
const { runLoader } = require('./testing/runLoader');
const { MARKER } = require('./layout');

jest.setTimeout(30_000);

describe('hf:// against a server speaking the Hub protocol', () => {
  let hub;
  let cache;
  let env;
  const tiny = () => hub.repos['tiny-org/tiny-model'].revisions;

  beforeAll(async () => {
    hub = await startFakeHub();
  });
  afterAll(() => hub.close());
  beforeEach(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'model-loader-hf-'));
    env = { MODEL_CACHE_DIR: cache, HF_ENDPOINT: hub.url };
    hub.reset();
  });
  afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

  const file = (rel, name) => fs.readFileSync(path.join(cache, rel, name));

  it('fetches a revision whole, then finds it in the cache without a download', async () => {
    const first = await runLoader(
      [{ name: 'tiny', source: 'hf://tiny-org/tiny-model' }],
      env,
    );
    expect(first.code).toBe(0);
    expect(first.lines).toEqual([
      expect.objectContaining({
        model: 'tiny',
        source: 'hf://tiny-org/tiny-model',
        revision: 'main',
        cache: 'miss',
        bytes: expect.any(Number),
        path: 'hf/tiny-org-tiny-model/default',
      }),
    ]);
    expect(first.termination).toEqual({
      models: first.lines,
      seconds: expect.any(Number),
    });
    const rel = 'hf/tiny-org-tiny-model/default';
    const main = tiny().main.files;
    expect(file(rel, 'model.safetensors')).toEqual(
      main['model.safetensors'].data,
    );
    expect(file(rel, 'tokenizer/tokenizer.json')).toEqual(
      main['tokenizer/tokenizer.json'].data,
    );
    const marker = JSON.parse(file(rel, MARKER));
    expect(marker).toEqual({
      source: 'hf://tiny-org/tiny-model',
      revision: 'main',
      commit: tiny().main.sha,
      files: [
        {
          path: 'config.json',
          size: expect.any(Number),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
        { path: 'model.safetensors', size: 262144, sha256: expect.any(String) },
        {
          path: 'tokenizer/tokenizer.json',
          size: expect.any(Number),
          sha256: expect.any(String),
        },
      ],
      bytes: first.lines[0].bytes,
      completedAt: expect.any(String),
    });
    // Files were fetched at the commit the listing named, not at the moving branch.
    expect(
      hub.requests
        .filter(r => r.path.includes('/resolve/'))
        .every(r => r.path.includes(`/resolve/${tiny().main.sha}/`)),
    ).toBe(true);

    hub.reset();
    const second = await runLoader(
      [{ name: 'tiny', source: 'hf://tiny-org/tiny-model' }],
      env,
    );
    expect(second.lines[0]).toMatchObject({
      cache: 'hit',
      bytes: first.lines[0].bytes,
    });
    expect(hub.requests).toEqual([]);
  });

  it('keeps two revisions side by side, each fetched once', async () => {
    const models = [
      { name: 'tiny', source: 'hf://tiny-org/tiny-model@v2' },
      { name: 'tiny', source: 'hf://tiny-org/tiny-model', version: 'main' },
    ];
    const r = await runLoader(models, env);
    expect(r.lines.map(l => [l.revision, l.cache, l.path])).toEqual([
      ['v2', 'miss', 'hf/tiny-org-tiny-model/v2'],
      ['main', 'miss', 'hf/tiny-org-tiny-model/main'],
    ]);
    expect(file('hf/tiny-org-tiny-model/v2', 'model.safetensors')).toEqual(
      tiny().v2.files['model.safetensors'].data,
    );
    expect(file('hf/tiny-org-tiny-model/main', 'model.safetensors')).toEqual(
      tiny().main.files['model.safetensors'].data,
    );
    const again = await runLoader(models, env);
    expect(again.lines.map(l => l.cache)).toEqual(['hit', 'hit']);
  });

  it('fetches again when a cached file was removed or cut short', async () => {
    const models = [{ name: 'tiny', source: 'hf://tiny-org/tiny-model' }];
    await runLoader(models, env);
    fs.truncateSync(
      path.join(cache, 'hf/tiny-org-tiny-model/default/model.safetensors'),
      10,
    );
    expect((await runLoader(models, env)).lines[0].cache).toBe('miss');
    expect((await runLoader(models, env)).lines[0].cache).toBe('hit');
  });

  it('follows a renamed repository (relative redirects)', async () => {
    const r = await runLoader(
      [{ name: 'old', source: 'hf://old-org/old-name@v2' }],
      env,
    );
    expect(r.code).toBe(0);
    expect(file('hf/old-org-old-name/v2', 'model.safetensors')).toEqual(
      tiny().v2.files['model.safetensors'].data,
    );
  });

  describe('a gated repository', () => {
    const gated = [{ name: 'g', source: 'hf://gated-org/gated-model' }];

    it('without a token: refused, naming HF_TOKEN and the Secret', async () => {
      const r = await runLoader(gated, env);
      expect(r.code).toBe(1);
      expect(r.termination).toBe(
        'hf://gated-org/gated-model: the Hub refused access (401 GatedRepo): a gated or private repository needs a token; put HF_TOKEN in the Secret named in spec.storage.credentials',
      );
      expect(r.stderr).toContain(r.termination);
      expect(fs.existsSync(path.join(cache, 'hf/gated-org-gated-model'))).toBe(
        false,
      );
    });

    it('with a token not granted: 403, naming HF_TOKEN', async () => {
      const r = await runLoader(gated, { ...env, HF_TOKEN: 'hf_other' });
      expect(r.code).toBe(1);
      expect(r.termination).toMatch(
        /^hf:\/\/gated-org\/gated-model: access denied \(403 GatedRepo\): the account of HF_TOKEN has not been granted/,
      );
    });

    it('with the token: fetched, the token sent only to the Hub', async () => {
      const r = await runLoader(gated, { ...env, HF_TOKEN: hub.token });
      expect(r.code).toBe(0);
      expect(r.lines[0].cache).toBe('miss');
      expect(
        hub.requests
          .filter(q => !q.path.startsWith('/cdn-lfs/'))
          .every(q => q.auth),
      ).toBe(true);
    });
  });

  it('refuses redirects to another host unless allowed, and never sends the token there', async () => {
    const offsite = [{ name: 'o', source: 'hf://cdn/offsite' }];
    const refused = await runLoader(offsite, {
      ...env,
      HF_TOKEN: 'secret-token',
    });
    expect(refused.code).toBe(1);
    expect(refused.termination).toMatch(
      /^hf:\/\/cdn\/offsite: the Hub redirected model\.safetensors to http:\/\/localhost:\d+, which is not http:\/\/127\.0\.0\.1:\d+; refusing \(allow the host with HF_REDIRECT_HOSTS=localhost/,
    );
    expect(hub.count('/cdn-lfs/')).toBe(0);
    hub.reset();
    const allowed = await runLoader(offsite, {
      ...env,
      HF_TOKEN: 'secret-token',
      HF_REDIRECT_HOSTS: 'localhost',
    });
    expect(allowed.code).toBe(0);
    expect(hub.requests.find(q => q.path.startsWith('/cdn-lfs/'))).toEqual(
      expect.objectContaining({ auth: false }),
    );
  });

  it('writes nothing for a listing with hostile file names', async () => {
    for (const [repo, why] of [
      [
        'evil/escape',
        /refusing file name "\.\.\/escape\.txt" \(a \., \.\. or empty segment\)/,
      ],
      [
        'evil/absolute',
        /refusing file name "\/tmp\/model-loader-absolute\.txt" \(an absolute path\)/,
      ],
      [
        'evil/nul',
        /refusing file name "a\\u0000b" \(a control character or NUL\)/,
      ],
    ]) {
      const r = await runLoader([{ name: 'e', source: `hf://${repo}` }], env);
      expect(r.code).toBe(1);
      expect(r.termination).toMatch(why);
    }
    expect(hub.count(r => r.path.includes('/resolve/'))).toBe(0);
    expect(fs.existsSync('/tmp/model-loader-absolute.txt')).toBe(false);
    expect(fs.existsSync(path.join(cache, '..', 'escape.txt'))).toBe(false);
    expect(fs.readdirSync(cache).filter(n => !n.startsWith('.'))).toEqual([]);
  });

  it('refuses more bytes than listed, wrong checksums, and models over MODEL_MAX_BYTES', async () => {
    const liar = await runLoader(
      [{ name: 'l', source: 'hf://evil/liar' }],
      env,
    );
    expect(liar.termination).toBe(
      'hf://evil/liar: model.safetensors is larger than the 4096 bytes its listing says',
    );
    const corrupt = await runLoader(
      [{ name: 'c', source: 'hf://evil/corrupt' }],
      env,
    );
    expect(corrupt.termination).toMatch(
      /^hf:\/\/evil\/corrupt: model\.safetensors is corrupt \(sha256 [0-9a-f]{64}, the listing says [0-9a-f]{64}\)$/,
    );
    const big = await runLoader(
      [{ name: 't', source: 'hf://tiny-org/tiny-model' }],
      {
        ...env,
        MODEL_MAX_BYTES: '100000',
      },
    );
    expect(big.termination).toMatch(
      /^hf:\/\/tiny-org\/tiny-model: 256\.\d KiB|^hf:\/\/tiny-org\/tiny-model: 262\d+ B is larger than MODEL_MAX_BYTES/,
    );
    expect(fs.readdirSync(cache).filter(n => !n.startsWith('.'))).toEqual([]);
    // Nothing half-written stays behind.
    expect(fs.readdirSync(path.join(cache, '.staging'))).toEqual([]);
  });

  it('gives up on a download that stops sending, within its timeout', async () => {
    const t0 = Date.now();
    const r = await runLoader([{ name: 's', source: 'hf://evil/stall' }], {
      ...env,
      MODEL_LOADER_TIMEOUT_SECONDS: '1',
      MODEL_LOADER_RETRIES: '2',
    });
    expect(r.code).toBe(1);
    expect(r.termination).toBe(
      'hf://evil/stall: model.safetensors: no data for 1 s',
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a loader killed mid-download leaves no model behind; the next one fetches it whole', async () => {
    const main = path.join(__dirname, 'main.js');
    const child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH,
        ...env,
        MODEL_SOURCES: JSON.stringify([
          { name: 's', source: 'hf://evil/stall' },
        ]),
        TERMINATION_LOG: path.join(cache, 'term'),
      },
      stdio: 'ignore',
    });
    const rel = path.join(cache, 'hf/evil-stall/default');
    // Wait until half of the weights are on disk, in staging.
    const stagingDir = path.join(cache, '.staging');
    const partial = d =>
      fs.existsSync(path.join(stagingDir, d, 'model.safetensors'));
    for (let i = 0; i < 100; i++) {
      const staged = fs.existsSync(stagingDir)
        ? fs.readdirSync(stagingDir)
        : [];
      if (staged.some(partial)) break;
      await new Promise(res => setTimeout(res, 50));
    }
    child.kill('SIGKILL');
    await new Promise(res => child.once('exit', res));
    expect(fs.existsSync(rel)).toBe(false);
    // The same model from a server that completes it (the repository's weights, whole).
    hub.repos['evil/stall'].stall = false;
    try {
      const r = await runLoader(
        [{ name: 's', source: 'hf://evil/stall' }],
        env,
      );
      expect(r.lines[0].cache).toBe('miss');
      expect(fs.readFileSync(path.join(rel, 'model.safetensors'))).toEqual(
        hub.repos['evil/stall'].revisions.main.files['model.safetensors'].data,
      );
      // The crashed loader's staging directory is gone; its lock was stale and taken over.
      expect(fs.readdirSync(path.join(cache, '.staging'))).toEqual([]);
    } finally {
      hub.repos['evil/stall'].stall = true;
    }
  });

  it('names a missing revision and a missing repository', async () => {
    const rev = await runLoader(
      [{ name: 't', source: 'hf://tiny-org/tiny-model@nope' }],
      env,
    );
    expect(rev.termination).toBe(
      'hf://tiny-org/tiny-model@nope: no such revision on the Hub (404)',
    );
    const repo = await runLoader(
      [{ name: 't', source: 'hf://no-org/no-model' }],
      env,
    );
    expect(repo.termination).toBe(
      'hf://no-org/no-model: repository not found (401 RepoNotFound); if it is private or gated, put HF_TOKEN in the Secret named in spec.storage.credentials',
    );
  });
});
