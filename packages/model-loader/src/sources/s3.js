// s3://bucket/prefix: every object under the prefix, with the AWS SDK (v3), from any
// S3-compatible store (S3_ENDPOINT, S3_REGION, S3_FORCE_PATH_STYLE; MinIO and others want path
// style). The model's version is a path segment: s3://models/iris with version 2 is every object
// under models/iris/2/ (the ML platform's models/<name>/<version>/ layout); without a version, the
// prefix itself, or the one object of that name. No redirect is ever followed (a bucket in
// another region is an error naming S3_REGION). Objects are fetched with If-Match on the ETag the
// listing gave, so an object replaced meanwhile fails instead of mixing versions; a plain MD5
// ETag is checked against the bytes.
'use strict';

const { LoaderError } = require('../layout');

const MAX_OBJECTS = 100_000;

let sdk;
const loadSdk = () => (sdk ??= require('@aws-sdk/client-s3'));

function client(env, timeoutMs) {
  const { S3Client } = loadSdk();
  const keyId = env.AWS_ACCESS_KEY_ID || '';
  const secret = env.AWS_SECRET_ACCESS_KEY || '';
  const anonymous = !keyId || !secret;
  return new S3Client({
    region: env.S3_REGION || env.AWS_REGION || 'us-east-1',
    endpoint: env.S3_ENDPOINT || undefined,
    forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
    // Only what the pod was given: never the SDK's default chain (files, instance metadata).
    credentials: anonymous
      ? async () => ({ accessKeyId: '', secretAccessKey: '' })
      : {
          accessKeyId: keyId,
          secretAccessKey: secret,
          ...(env.AWS_SESSION_TOKEN
            ? { sessionToken: env.AWS_SESSION_TOKEN }
            : {}),
        },
    ...(anonymous ? { signer: { sign: async request => request } } : {}),
    followRegionRedirects: false,
    maxAttempts: 3,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 15_000, requestTimeout: timeoutMs },
  });
}

/** The SDK's error as one line that says what to do. */
function explain(what, e, env) {
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name || e?.Code || '';
  const creds =
    'check the Secret named in spec.storage.credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)';
  if (e instanceof LoaderError) return e;
  if (
    name === 'InvalidAccessKeyId' ||
    name === 'InvalidClientTokenId' ||
    name === 'XAdminUserNotFound'
  )
    return new LoaderError(
      `${what}: unknown access key (${status ?? 403}${
        name === 'InvalidAccessKeyId' ? '' : ` ${name}`
      }) — ${creds}`,
    );
  if (name === 'SignatureDoesNotMatch')
    return new LoaderError(
      `${what}: wrong secret key (403 SignatureDoesNotMatch) — ${creds}`,
    );
  if (name === 'AccessDenied' || status === 403 || status === 401)
    return new LoaderError(
      `${what}: access denied (${status ?? 403})${
        env.AWS_ACCESS_KEY_ID ? '' : ' without credentials'
      } — ${creds}`,
    );
  if (name === 'NoSuchBucket')
    return new LoaderError(`${what}: no such bucket (404)`);
  if (name === 'PreconditionFailed' || status === 412)
    return new LoaderError(
      `${what}: an object changed while it was being fetched (412); try again`,
      { transient: true },
    );
  if (
    status === 301 ||
    name === 'PermanentRedirect' ||
    name === 'AuthorizationHeaderMalformed'
  )
    return new LoaderError(
      `${what}: the bucket is in another region (${
        status ?? name
      }); set spec.storage.s3.region (S3_REGION)`,
    );
  const code =
    e?.code ||
    e?.cause?.code ||
    /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET)\b/.exec(
      String(e?.message),
    )?.[1];
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH'
  )
    return new LoaderError(
      `${what}: cannot reach the S3 endpoint ${
        env.S3_ENDPOINT || '(AWS default)'
      } (${code})`,
      { transient: true },
    );
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ECONNRESET')
    return new LoaderError(
      `${what}: the S3 endpoint timed out (${code || name})`,
      {
        transient: true,
      },
    );
  return new LoaderError(
    `${what}: S3 error ${status ? `${status} ` : ''}${name}${
      e?.message && e.message !== name ? `: ${e.message}` : ''
    }`,
    { transient: status >= 500 },
  );
}

async function listAll(s3, bucket, prefix, signal) {
  const { ListObjectsV2Command } = loadSdk();
  const out = [];
  let token;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ContinuationToken: token,
      }),
      { abortSignal: signal },
    );
    for (const o of page.Contents ?? []) {
      out.push(o);
      if (out.length > MAX_OBJECTS)
        throw new LoaderError(
          `s3://${bucket}/${prefix}: more than ${MAX_OBJECTS} objects`,
        );
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** The versions under a model's prefix (its sub-"directories"), to name them in an error. */
async function versionsUnder(s3, bucket, prefix, signal) {
  const { ListObjectsV2Command } = loadSdk();
  try {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        Delimiter: '/',
        MaxKeys: 50,
      }),
      { abortSignal: signal },
    );
    return (page.CommonPrefixes ?? [])
      .map(p => p.Prefix.slice(prefix.length).replace(/\/$/, ''))
      .filter(Boolean);
  } catch {
    return [];
  }
}

const md5Of = etag => {
  const m = /^"?([0-9a-f]{32})"?$/i.exec(etag || '');
  return m ? m[1] : undefined;
};

async function plan(ctx, parsed) {
  const { env, what, signal } = ctx;
  const s3 = client(env, ctx.timeoutMs);
  const { bucket } = parsed;
  const base = parsed.prefix ? `${parsed.prefix}/` : '';
  const listPrefix = parsed.revision ? `${base}${parsed.revision}/` : base;
  let objects;
  try {
    objects = (await listAll(s3, bucket, listPrefix, signal))
      .filter(o => !o.Key.endsWith('/')) // folder markers of consoles
      .map(o => ({
        key: o.Key,
        path: o.Key.slice(listPrefix.length),
        size: o.Size,
        etag: o.ETag,
      }));
    if (!objects.length && !parsed.revision && parsed.prefix) {
      // s3://bucket/path/model.joblib: one object.
      const { HeadObjectCommand } = loadSdk();
      try {
        const head = await s3.send(
          new HeadObjectCommand({ Bucket: bucket, Key: parsed.prefix }),
          { abortSignal: signal },
        );
        objects = [
          {
            key: parsed.prefix,
            path: parsed.prefix.split('/').pop(),
            size: head.ContentLength,
            etag: head.ETag,
          },
        ];
      } catch (e) {
        if (e?.$metadata?.httpStatusCode !== 404) throw e;
      }
    }
  } catch (e) {
    throw explain(what, e, env);
  }
  if (!objects.length) {
    const versions = parsed.revision
      ? await versionsUnder(s3, bucket, base, signal)
      : [];
    s3.destroy();
    let hint = '';
    if (parsed.revision)
      hint = versions.length
        ? ` (versions there: ${versions.join(', ')})`
        : ' (and no versions under it)';
    throw new LoaderError(
      `${what}: nothing under s3://${bucket}/${listPrefix}${hint}`,
    );
  }
  const { GetObjectCommand } = loadSdk();
  return {
    marker: {},
    files: objects.map(o => ({
      path: o.path,
      size: o.size,
      key: o.key,
      etag: o.etag,
      check: md5Of(o.etag) ? { md5: md5Of(o.etag) } : {},
    })),
    open: async (file, fileSignal) => {
      try {
        const out = await s3.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: file.key,
            ...(file.etag ? { IfMatch: file.etag } : {}),
          }),
          { abortSignal: fileSignal },
        );
        return out.Body;
      } catch (e) {
        throw explain(`${what}`, e, env);
      }
    },
    close: () => s3.destroy(),
  };
}

module.exports = { plan, explain };
