const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { runLoader } = require('./testing/runLoader');
const { startFakeHub } = require('./testing/fakeHub');
const { terminationMessage } = require('./loader');
const { MARKER } = require('./layout');

describe('the loader', () => {
  let tmp;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'model-loader-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('refuses a MODEL_SOURCES it cannot read, in one line', async () => {
    for (const [value, message] of [
      [
        undefined,
        'MODEL_SOURCES is not JSON (a list of {name, version, source})',
      ],
      ['{}', 'MODEL_SOURCES must be a JSON list of {name, version, source}'],
      ['[{"name":"x"}]', 'MODEL_SOURCES[0] has no source'],
      [
        '[{"source":"ftp://x"}]',
        'ftp://x: the loader does not fetch ftp:// sources (hf, s3, pvc and ollama are known)',
      ],
      [
        '[{"source":"x"}]',
        'x: unknown source; use hf://org/name[@revision], s3://bucket/prefix, pvc://claim/path or ollama://name:tag',
      ],
    ]) {
      const r = await runLoader([], {
        MODEL_CACHE_DIR: tmp,
        MODEL_SOURCES: value,
      });
      expect(r.code).toBe(1);
      expect(r.termination).toBe(message);
    }
  });

  it('leaves ollama:// to the engine', async () => {
    const r = await runLoader(
      [{ name: 'llama3.1', source: 'ollama://llama3.1:8b' }],
      { MODEL_CACHE_DIR: tmp },
    );
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      {
        model: 'llama3.1',
        source: 'ollama://llama3.1:8b',
        revision: null,
        cache: 'engine',
        bytes: 0,
        note: 'engine pulls',
        seconds: expect.any(Number),
      },
    ]);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  describe('pvc://', () => {
    let sources;
    let cache;
    beforeEach(() => {
      sources = path.join(tmp, 'sources');
      cache = path.join(tmp, 'cache');
      fs.mkdirSync(path.join(sources, 'shared-models/iris/2/sub'), {
        recursive: true,
      });
      fs.writeFileSync(
        path.join(sources, 'shared-models/iris/2/model.joblib'),
        'x'.repeat(40),
      );
      fs.writeFileSync(
        path.join(sources, 'shared-models/iris/2/sub/a.json'),
        '{}',
      );
      fs.writeFileSync(path.join(tmp, 'secret'), 'outside');
      fs.symlinkSync(
        path.join(tmp, 'secret'),
        path.join(sources, 'shared-models/link'),
      );
    });
    const env = () => ({ MODEL_CACHE_DIR: cache, MODEL_SOURCES_DIR: sources });

    it('checks the path on the mounted claim and records it, copying nothing', async () => {
      const r = await runLoader(
        [{ name: 'iris', source: 'pvc://shared-models/iris/2' }],
        env(),
      );
      expect(r.code).toBe(0);
      expect(r.lines[0]).toMatchObject({
        cache: 'volume',
        bytes: 42,
        path: '/sources/shared-models/iris/2',
      });
      const dir = path.join(cache, 'pvc/shared-models-iris-2/default');
      expect(fs.readdirSync(dir)).toEqual([MARKER]);
      expect(
        JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')),
      ).toMatchObject({
        source: 'pvc://shared-models/iris/2',
        location: '/sources/shared-models/iris/2',
        files: [
          { path: 'model.joblib', size: 40 },
          { path: 'sub/a.json', size: 2 },
        ],
      });
    });

    it('names a claim that is not mounted, a missing path and a link out of the claim', async () => {
      const cases = [
        [
          'pvc://other-claim/x',
          'pvc://other-claim/x: the claim other-claim is not mounted at /sources/other-claim in this pod',
        ],
        [
          'pvc://shared-models/iris/9',
          'pvc://shared-models/iris/9: iris/9 does not exist on the claim shared-models',
        ],
        [
          'pvc://shared-models/link',
          'pvc://shared-models/link: link leads outside the claim shared-models (a link)',
        ],
      ];
      for (const [source, message] of cases) {
        const r = await runLoader([{ name: 'x', source }], env());
        expect(r.code).toBe(1);
        expect(r.termination).toBe(message);
      }
    });
  });

  it('reports a preload it cannot fetch without failing the pod; the served model must load', async () => {
    const hub = await startFakeHub();
    try {
      const env = { MODEL_CACHE_DIR: tmp, HF_ENDPOINT: hub.url };
      const ok = await runLoader(
        [
          { name: 'tiny', source: 'hf://tiny-org/tiny-model' },
          { name: 'gated', source: 'hf://gated-org/gated-model' },
        ],
        env,
      );
      expect(ok.code).toBe(0);
      expect(ok.termination.models.map(m => m.cache)).toEqual([
        'miss',
        'error',
      ]);
      expect(ok.termination.models[1].error).toMatch(
        /needs a token; put HF_TOKEN/,
      );
      const failed = await runLoader(
        [
          { name: 'gated', source: 'hf://gated-org/gated-model' },
          { name: 'tiny', source: 'hf://tiny-org/tiny-model' },
        ],
        env,
      );
      expect(failed.code).toBe(1);
      expect(failed.lines).toEqual([]);
    } finally {
      await hub.close();
    }
  });

  it('keeps its termination message within the 4096 bytes Kubernetes keeps', () => {
    const models = Array.from({ length: 64 }, (_, i) => ({
      model: `model-${i}`,
      source: `s3://models/${'x'.repeat(200)}-${i}`,
      revision: '1',
      cache: 'hit',
      bytes: 123456789,
      path: `s3/${'x'.repeat(90)}/1`,
      seconds: 0.01,
    }));
    const text = terminationMessage(models, 12.5);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    const parsed = JSON.parse(text);
    expect(parsed.seconds).toBe(12.5);
    expect(parsed.models[0]).toEqual({
      model: 'model-0',
      cache: 'hit',
      bytes: 123456789,
      seconds: 0.01,
    });
    expect(parsed.models.length + parsed.more).toBe(64);
    const few = models.slice(0, 2);
    expect(JSON.parse(terminationMessage(few, 1))).toEqual({
      models: few,
      seconds: 1,
    });
  });

  it('runs as a program: JSON lines on stdout, the summary in TERMINATION_LOG, exit codes', async () => {
    const main = path.join(__dirname, 'main.js');
    const run = env =>
      new Promise(resolve =>
        execFile(
          process.execPath,
          [main],
          { env: { PATH: process.env.PATH, ...env } },
          (err, stdout, stderr) =>
            resolve({ code: err ? err.code : 0, stdout, stderr }),
        ),
      );
    const log = path.join(tmp, 'termination-log');
    const ok = await run({
      MODEL_SOURCES: '[{"name":"m","source":"ollama://m:1"}]',
      MODEL_CACHE_DIR: path.join(tmp, 'models'),
      TERMINATION_LOG: log,
    });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      model: 'm',
      cache: 'engine',
    });
    expect(JSON.parse(fs.readFileSync(log, 'utf8')).models).toHaveLength(1);
    const bad = await run({
      MODEL_SOURCES: '[{"name":"m","source":"s3://models/m","version":"1"}]',
      MODEL_CACHE_DIR: path.join(tmp, 'models'),
      TERMINATION_LOG: log,
      S3_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(bad.code).toBe(1);
    expect(fs.readFileSync(log, 'utf8')).toMatch(
      /^s3:\/\/models\/m\/1: (cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)|access denied)/,
    );
    expect(bad.stderr).not.toMatch(/NodeVersionSupportWarning/);
  });
});
