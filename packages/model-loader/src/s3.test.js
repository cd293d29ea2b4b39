// s3:// against a real S3 server: versitygw (scripts/engines/versitygw.sh), built from its Go
// module the first time (about 3 minutes on 2 cores; cached in ~/.cache/model-hosting).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startS3, buildS3, bytes } = require('./testing');
const { runLoader } = require('./testing/runLoader');
const { MARKER } = require('./layout');

jest.setTimeout(60_000);

describe('s3:// against versitygw', () => {
  let s3;
  let cache;
  let env;
  const v1 = {
    'iris-classifier/1/model.joblib': bytes('iris-1', 3000),
    'iris-classifier/1/metadata.json': '{"version":1}',
  };
  const v2 = {
    'iris-classifier/2/model.joblib': bytes('iris-2', 5000),
    'iris-classifier/2/metadata.json': '{"version":2}',
    'iris-classifier/2/sub/dir/extra.bin': bytes('extra', 100),
  };
  const gets = () => s3.requests({ method: 'GET', query: 'GetObject' }).length;

  beforeAll(async () => {
    buildS3();
    s3 = await startS3();
    await s3.putObjects('models', { ...v1, ...v2 });
  }, 600_000);
  afterAll(() => s3?.stop());
  beforeEach(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'model-loader-s3-cache-'));
    env = {
      MODEL_CACHE_DIR: cache,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    };
  });
  afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

  const iris = version => [
    { name: 'iris-classifier', version, source: 's3://models/iris-classifier' },
  ];

  it('fetches a version (a path segment under the prefix) once; the next start hits the cache', async () => {
    const before = gets();
    const first = await runLoader(iris('2'), env);
    expect(first.code).toBe(0);
    expect(first.lines).toEqual([
      {
        model: 'iris-classifier',
        source: 's3://models/iris-classifier',
        revision: '2',
        cache: 'miss',
        bytes: 5000 + 13 + 100,
        path: 's3/models-iris-classifier/2',
        seconds: expect.any(Number),
      },
    ]);
    expect(gets() - before).toBe(3);
    const dir = path.join(cache, 's3/models-iris-classifier/2');
    expect(fs.readFileSync(path.join(dir, 'model.joblib'))).toEqual(
      v2['iris-classifier/2/model.joblib'],
    );
    expect(fs.readFileSync(path.join(dir, 'sub/dir/extra.bin'))).toEqual(
      v2['iris-classifier/2/sub/dir/extra.bin'],
    );
    expect(
      JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')),
    ).toMatchObject({
      source: 's3://models/iris-classifier',
      revision: '2',
      bytes: 5113,
      files: [
        { path: 'metadata.json', size: 13 },
        { path: 'model.joblib', size: 5000 },
        { path: 'sub/dir/extra.bin', size: 100 },
      ],
    });

    const second = await runLoader(iris('2'), env);
    expect(second.lines[0]).toMatchObject({ cache: 'hit', bytes: 5113 });
    expect(gets() - before).toBe(3); // no second download
    expect(
      s3.requests({ method: 'GET', path: '/models/' }).length,
    ).toBeGreaterThan(0);
  });

  it('keeps the second version beside the first', async () => {
    const r = await runLoader([...iris('2'), ...iris('1')], env);
    expect(r.lines.map(l => [l.revision, l.cache, l.bytes])).toEqual([
      ['2', 'miss', 5113],
      ['1', 'miss', 3013],
    ]);
    expect(
      fs.readFileSync(
        path.join(cache, 's3/models-iris-classifier/1/model.joblib'),
      ),
    ).toEqual(v1['iris-classifier/1/model.joblib']);
    expect(r.termination.models.map(m => m.revision)).toEqual(['2', '1']);
  });

  it('names the versions there when the one asked for is not', async () => {
    const r = await runLoader(iris('3'), env);
    expect(r.code).toBe(1);
    expect(r.termination).toBe(
      's3://models/iris-classifier/3: nothing under s3://models/iris-classifier/3/ (versions there: 1, 2)',
    );
  });

  it('fetches one object named by the source', async () => {
    const r = await runLoader(
      [{ name: 'iris', source: 's3://models/iris-classifier/1/model.joblib' }],
      env,
    );
    expect(r.lines[0]).toMatchObject({ cache: 'miss', bytes: 3000 });
  });

  it('a wrong credential is a clear one-line error and writes nothing', async () => {
    const wrongSecret = await runLoader(iris('2'), {
      ...env,
      AWS_SECRET_ACCESS_KEY: 'not-the-secret',
    });
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.termination).toBe(
      's3://models/iris-classifier/2: wrong secret key (403 SignatureDoesNotMatch) — check the Secret named in spec.storage.credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
    );
    expect(wrongSecret.stderr.trim()).toBe(wrongSecret.termination);
    const unknownKey = await runLoader(iris('2'), {
      ...env,
      AWS_ACCESS_KEY_ID: 'nobody',
    });
    expect(unknownKey.termination).toMatch(
      /^s3:\/\/models\/iris-classifier\/2: unknown access key \(\d+.*\) — check the Secret named in spec\.storage\.credentials/,
    );
    const none = await runLoader(iris('2'), {
      ...env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
    });
    expect(none.termination).toBe(
      's3://models/iris-classifier/2: access denied (403) without credentials — check the Secret named in spec.storage.credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
    );
    expect(fs.readdirSync(cache).filter(n => !n.startsWith('.'))).toEqual([]);
  });

  it('names a missing bucket and an endpoint it cannot reach', async () => {
    const bucket = await runLoader(
      [{ name: 'x', version: '1', source: 's3://no-such-bucket/x' }],
      env,
    );
    expect(bucket.termination).toBe(
      's3://no-such-bucket/x/1: no such bucket (404)',
    );
    const down = await runLoader(iris('2'), {
      ...env,
      S3_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(down.termination).toBe(
      's3://models/iris-classifier/2: cannot reach the S3 endpoint http://127.0.0.1:9 (ECONNREFUSED)',
    );
  });

  it('two loaders on one cache (replicas on a ReadWriteMany claim) download once', async () => {
    await s3.putObjects('models', {
      'big/1/weights.bin': bytes('big', 4 * 1024 * 1024),
    });
    const before = gets();
    const model = [{ name: 'big', version: '1', source: 's3://models/big' }];
    const [a, b] = await Promise.all([
      runLoader(model, env),
      runLoader(model, env),
    ]);
    expect([a.lines[0].cache, b.lines[0].cache].sort()).toEqual([
      'hit',
      'miss',
    ]);
    expect(gets() - before).toBe(1);
  });
});
