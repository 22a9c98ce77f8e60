import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { redactUrl } from '../../core/config/index.js';
import { ConfigError } from '../../core/errors/index.js';
import { assertBlobKey, assertBlobPrefix, compareBlobKeys } from './blob-key.js';
import type { BlobInfo, BlobStore } from './blob-store.js';
import { blobNotFound, blobStoreUnavailable } from './blob-store-errors.js';
import { isS3BucketMissing, isS3ObjectMissing } from './s3-errors.js';

/** Options of {@link createS3BlobStore}. */
export interface S3BlobStoreOptions {
  /** An S3-compatible server (`http://127.0.0.1:9000`); leave out for AWS itself. */
  endpoint?: string;
  /** The AWS region the SDK signs for. Default `us-east-1`. */
  region?: string;
  bucket: string;
  /** Folder inside the bucket holding every object of this store (`falaj/prod`). */
  prefix?: string;
  /** Both or neither; without them the SDK's chain (`AWS_*` variables, profiles, roles) is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `bucket` in the path rather than the host name. Default: true with an `endpoint`, else false. */
  forcePathStyle?: boolean;
  /** The residency label of where the bucket lives, checked by the policy before any write. */
  regionLabel: string;
  /** How long to wait for a connection. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** How long a socket may stay silent mid-request. Default 30000 ms. */
  requestTimeoutMs?: number;
  /** Tries per call, the first included (the SDK backs off between them). Default 3. */
  maxAttempts?: number;
}

// Streams go up in parts of 8 MiB, two at a time: at most ~16 MiB of a stream in memory.
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

/**
 * The grown blob store: objects in an S3 bucket (AWS, or any S3-compatible server such as
 * MinIO or Ceph) under `<prefix>/<key>`. Buffers go up with one PutObject, streams with a
 * multipart upload; reads stream the response body.
 *
 * Calls fail with `FALAJ_BLOB_STORE_UNAVAILABLE` when the server is down, slow or refuses
 * the credentials (after `maxAttempts` tries); messages never include the secret key.
 * Loads the AWS SDK on first use, so a server on the directory store never pays for it.
 *
 * @example
 * ```ts
 * const blobs = await createS3BlobStore({ bucket: 'falaj-artifacts', region: 'me-central-1', regionLabel: 'uae' });
 * ```
 */
export async function createS3BlobStore(options: S3BlobStoreOptions): Promise<BlobStore> {
  if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
    throw new ConfigError('FALAJ_CONFIG_INVALID', 'blob store: give both accessKeyId and secretAccessKey, or neither to use the AWS credential chain.');
  }
  const [s3, { Upload }] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
  const { bucket } = options;
  const prefix = normalizePrefix(options.prefix);
  const location = `s3://${bucket}/${prefix}${options.endpoint === undefined ? '' : ` at ${redactUrl(options.endpoint)}`}`;
  const secrets = [options.secretAccessKey];
  const client: S3Client = new s3.S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    ...(options.accessKeyId === undefined ? {} : { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey! } }),
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: { connectionTimeout: options.connectTimeoutMs ?? 2000, requestTimeout: options.requestTimeoutMs ?? 30_000 },
    // Checksums only where S3 requires them: the SDK's default (CRC32 on every upload, in
    // aws-chunked trailers) is not understood by many S3-compatible servers, which store
    // the framing as data. Integrity is the artifact store's job: SHA-256 and signatures.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  const unavailable = (err: unknown) => blobStoreUnavailable(location, isS3BucketMissing(err) ? new Error(`bucket ${bucket} does not exist`) : err, secrets);
  const keyOf = (key: string) => prefix + key;

  async function putStream(key: string, body: Readable): Promise<number> {
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const piped = pipeline(body, counter).then(
      () => undefined,
      (err: unknown) => err,
    );
    const upload = new Upload({ client, params: { Bucket: bucket, Key: keyOf(key), Body: counter }, partSize: PART_BYTES, queueSize: PARTS_IN_FLIGHT });
    try {
      await upload.done();
    } catch (err) {
      counter.destroy(); // stops the pipeline (and the caller's stream) if S3 failed first
      const bodyError = await piped;
      // the caller's stream failing is the caller's error, not the store's
      if (bodyError !== undefined && (bodyError as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw bodyError;
      throw unavailable(err);
    }
    const bodyError = await piped;
    if (bodyError !== undefined) throw bodyError;
    return bytes;
  }

  return {
    engine: 's3',
    region: options.regionLabel,

    async put(key: string, body: Buffer | Readable): Promise<BlobInfo> {
      assertBlobKey(key);
      if (!(body instanceof Uint8Array)) return { key, bytes: await putStream(key, body) };
      try {
        await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key: keyOf(key), Body: body, ContentLength: body.length }));
      } catch (err) {
        throw unavailable(err);
      }
      return { key, bytes: body.length };
    },

    async get(key: string): Promise<Readable> {
      assertBlobKey(key);
      let body: unknown;
      try {
        body = (await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: keyOf(key) }))).Body;
      } catch (err) {
        if (isS3ObjectMissing(err)) throw blobNotFound(key, location);
        throw unavailable(err);
      }
      // In Node the body is the HTTP response itself: a Readable, not yet read. A failure
      // mid-download surfaces as that stream's own error.
      if (!(body instanceof Readable)) throw unavailable(new Error('the response has no body stream'));
      return body;
    },

    async head(key: string): Promise<BlobInfo | undefined> {
      assertBlobKey(key);
      try {
        const response = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
        return { key, bytes: response.ContentLength ?? 0 };
      } catch (err) {
        if (isS3ObjectMissing(err)) return undefined;
        throw unavailable(err);
      }
    },

    async list(listPrefix: string): Promise<BlobInfo[]> {
      assertBlobPrefix(listPrefix);
      const found: BlobInfo[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: keyOf(listPrefix), ...(token === undefined ? {} : { ContinuationToken: token }) }),
          );
          for (const object of page.Contents ?? []) {
            if (object.Key !== undefined) found.push({ key: object.Key.slice(prefix.length), bytes: object.Size ?? 0 });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
      } catch (err) {
        throw unavailable(err);
      }
      // S3 lists in UTF-8 byte order already; some compatible servers (s3rver) list in
      // folder-walk order instead (`a/b` before `a-c`), so order here to be sure.
      return found.sort((a, b) => compareBlobKeys(a.key, b.key));
    },

    async delete(key: string): Promise<void> {
      assertBlobKey(key);
      try {
        await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
      } catch (err) {
        if (isS3ObjectMissing(err)) return; // S3 answers 204 for a missing key; some servers 404
        throw unavailable(err);
      }
    },

    async ping(): Promise<void> {
      try {
        await client.send(new s3.HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        // HEAD has no body, so a missing bucket is only a bare 404 here
        throw unavailable(isS3ObjectMissing(err) ? new Error(`bucket ${bucket} does not exist`) : err);
      }
    },

    async close(): Promise<void> {
      client.destroy();
    },
  };
}

/** `/falaj/prod/` or `falaj/prod` → `falaj/prod/`; nothing → `` (the bucket's root). */
function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  assertBlobKey(trimmed);
  return `${trimmed}/`;
}
