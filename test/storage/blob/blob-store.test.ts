import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBlobStore, createDirectoryBlobStore, createS3BlobStore, parseS3Url, type BlobStore } from '../../../src/storage/blob/index.js';
import { describeBlobStoreConformance } from './blob-store.conformance.js';
import { startS3rver, type RunningS3rver } from './s3rver-process.js';

describe('directory blob store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-blobs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describeBlobStoreConformance('directory', async () => createDirectoryBlobStore({ root: join(dir, `store-${randomUUID()}`), region: 'local' }));

  it('createBlobStore picks a directory at <dataDir>/blobs without a URL, one file per key', async () => {
    const store = await createBlobStore(undefined, { dataDir: dir, region: 'uae-north' });
    expect(store).toMatchObject({ engine: 'directory', region: 'uae-north' });
    await store.put('artifacts/ab/cdef', Buffer.from('hello'));
    expect(await readFile(join(dir, 'blobs', 'artifacts', 'ab', 'cdef'), 'utf8')).toBe('hello');
    if (process.platform !== 'win32') expect((await stat(join(dir, 'blobs', 'artifacts', 'ab', 'cdef'))).mode & 0o777).toBe(0o600);
    expect((await createBlobStore('', { dataDir: dir, region: 'x' })).engine).toBe('directory');
    const byPath = await createBlobStore(join(dir, 'elsewhere'), { dataDir: dir, region: 'local' });
    await byPath.put('k', Buffer.from('v'));
    expect(await readFile(join(dir, 'elsewhere', 'k'), 'utf8')).toBe('v');
  });

  it('never shows a half-written object: readers see the old bytes until the rename', async () => {
    const root = join(dir, 'store');
    const store = createDirectoryBlobStore({ root, region: 'local' });
    await store.put('model', Buffer.from('old'));
    const body = new PassThrough();
    const writing = store.put('model', body);
    body.write(Buffer.alloc(1024 * 1024, 1));
    // the new bytes are on disk in a partial file, streamed rather than buffered...
    await vi.waitFor(async () => {
      const partial = (await readdir(root)).find((name) => name.startsWith('.falaj-partial-'));
      expect(partial).toBeDefined();
      expect((await stat(join(root, partial!))).size).toBe(1024 * 1024);
    });
    // ...but the key still holds the old object, and listings ignore the partial file
    expect(await readFile(join(root, 'model'), 'utf8')).toBe('old');
    expect(await store.list('')).toEqual([{ key: 'model', bytes: 3 }]);
    body.end(Buffer.alloc(10, 2));
    expect(await writing).toEqual({ key: 'model', bytes: 1024 * 1024 + 10 });
    expect(await readdir(root)).toEqual(['model']);
  });

  it('refuses a key that would be both an object and a folder', async () => {
    const store = createDirectoryBlobStore({ root: dir, region: 'local' });
    await store.put('a', Buffer.from('x'));
    await expect(store.put('a/b', Buffer.from('y'))).rejects.toMatchObject({ name: 'ConflictError', code: 'FALAJ_BLOB_KEY_CONFLICT' });
    await store.put('c/d', Buffer.from('y'));
    await expect(store.put('c', Buffer.from('z'))).rejects.toMatchObject({ code: 'FALAJ_BLOB_KEY_CONFLICT' });
    expect(await store.list('')).toEqual([
      { key: 'a', bytes: 1 },
      { key: 'c/d', bytes: 1 },
    ]);
  });

  it('is unavailable when its folder cannot be used', async () => {
    const notAFolder = join(dir, 'file');
    await writeFile(notAFolder, 'x');
    const store = createDirectoryBlobStore({ root: notAFolder, region: 'local' });
    await expect(store.ping()).rejects.toMatchObject({ name: 'UnavailableError', code: 'FALAJ_BLOB_STORE_UNAVAILABLE' });
    await expect(store.put('k', Buffer.from('v'))).rejects.toMatchObject({ code: 'FALAJ_BLOB_STORE_UNAVAILABLE' });
    if (process.platform !== 'win32' && process.getuid?.() !== 0) {
      const readOnly = join(dir, 'read-only');
      const locked = createDirectoryBlobStore({ root: readOnly, region: 'local' });
      await locked.ping();
      await chmod(readOnly, 0o500);
      await expect(locked.put('k', Buffer.from('v'))).rejects.toMatchObject({ code: 'FALAJ_BLOB_STORE_UNAVAILABLE' });
      await chmod(readOnly, 0o700);
    }
  });
});

describe('s3 blob store (s3rver on loopback)', () => {
  const bucket = 'falaj-test';
  let server: RunningS3rver | undefined;
  let serverDir: string;
  let endpoint: string;
  const s3 = (extra: Partial<Parameters<typeof createS3BlobStore>[0]> = {}): Promise<BlobStore> =>
    createS3BlobStore({
      endpoint,
      bucket,
      prefix: `t-${randomUUID()}`,
      accessKeyId: 'S3RVER', // the one key pair s3rver knows
      secretAccessKey: 'S3RVER',
      regionLabel: 'test-region',
      ...extra,
    });

  beforeAll(async () => {
    serverDir = await mkdtemp(join(tmpdir(), 'falaj-s3rver-'));
    server = await startS3rver(serverDir, bucket);
    endpoint = server.endpoint;
  });
  afterAll(async () => {
    await server?.stop();
    await rm(serverDir, { recursive: true, force: true });
  });

  describeBlobStoreConformance('s3', () => s3());

  it('createBlobStore picks S3 for s3:// URLs and keeps objects under the URL prefix', async () => {
    const prefix = `url-${randomUUID()}`;
    const url = `s3://${bucket}/${prefix}/nested?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&forcePathStyle=true&accessKeyId=S3RVER&secretAccessKey=S3RVER`;
    const store = await createBlobStore(url, { dataDir: '/nonexistent', region: 'uae-north' });
    const whole = await s3({ prefix: '' });
    try {
      expect(store).toMatchObject({ engine: 's3', region: 'uae-north' });
      await store.put('a/b', Buffer.from('xyz'));
      expect(await store.list('')).toEqual([{ key: 'a/b', bytes: 3 }]);
      expect(await whole.list(`${prefix}/`)).toEqual([{ key: `${prefix}/nested/a/b`, bytes: 3 }]);
    } finally {
      await store.close();
      await whole.close();
    }
  });

  it('fails fast with FALAJ_BLOB_STORE_UNAVAILABLE when the server is down, never showing the secret', async () => {
    const secret = `falaj-secret-${randomUUID()}`;
    const port = await closedPort();
    const store = await createS3BlobStore({ endpoint: `http://127.0.0.1:${port}`, bucket, accessKeyId: 'AKIAFALAJ', secretAccessKey: secret, regionLabel: 'x' });
    try {
      const started = Date.now();
      for (const call of [() => store.put('k', Buffer.from('v')), () => store.get('k'), () => store.head('k'), () => store.list(''), () => store.ping()]) {
        const error = await call().catch((err: unknown) => err);
        expect(error).toMatchObject({ name: 'UnavailableError', code: 'FALAJ_BLOB_STORE_UNAVAILABLE' });
        expectNoSecret(error, secret);
        expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      }
      const streamed = await store.put('k', new PassThrough().end(Buffer.alloc(1000))).catch((err: unknown) => err);
      expect(streamed).toMatchObject({ code: 'FALAJ_BLOB_STORE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(10_000); // six calls, three tries each
    } finally {
      await store.close();
    }
  });

  it('reports refused credentials as unavailable, without the secret', async () => {
    const secret = `falaj-secret-${randomUUID()}`;
    const store = await s3({ accessKeyId: 'NOT-A-KEY', secretAccessKey: secret });
    try {
      const error = await store.put('k', Buffer.from('v')).catch((err: unknown) => err);
      expect(error).toMatchObject({ code: 'FALAJ_BLOB_STORE_UNAVAILABLE' });
      expectNoSecret(error, secret);
    } finally {
      await store.close();
    }
  });

  it('names a missing bucket on ping', async () => {
    const store = await s3({ bucket: 'no-such-bucket' });
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: 'FALAJ_BLOB_STORE_UNAVAILABLE', message: expect.stringContaining('bucket no-such-bucket does not exist') });
    } finally {
      await store.close();
    }
  });
});

describe('parseS3Url', () => {
  it('reads bucket, prefix and parameters', () => {
    expect(parseS3Url('s3://bkt/some/prefix/?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-west-1&forcePathStyle=false', 'uae')).toEqual({
      bucket: 'bkt',
      prefix: 'some/prefix',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: false,
      regionLabel: 'uae',
    });
    expect(parseS3Url('s3://bkt', 'uae')).toEqual({ bucket: 'bkt', regionLabel: 'uae' });
  });

  it('refuses URLs it cannot use, naming blob.url and never echoing the secret', () => {
    const secret = 'falaj-secret-url';
    for (const url of [
      `s3://bkt?secretAccessKey=${secret}`,
      `s3://bkt?accessKeyId=a&secretAccessKey=${secret}&bogus=1`,
      `s3://a:${secret}@bkt`,
      `s3://bkt?forcePathStyle=yes&secretAccessKey=${secret}`,
      's3://?region=x',
    ]) {
      let error: unknown;
      try {
        parseS3Url(url, 'x');
      } catch (err) {
        error = err;
      }
      expect(error, url).toMatchObject({ name: 'ConfigError', code: 'FALAJ_CONFIG_INVALID', message: expect.stringContaining('blob.url') });
      expectNoSecret(error, secret);
    }
  });

  it('refuses a scheme it does not know', async () => {
    await expect(createBlobStore('gs://bucket/x?secretAccessKey=hunter2', { dataDir: '/tmp', region: 'x' })).rejects.toMatchObject({
      code: 'FALAJ_CONFIG_INVALID',
      message: expect.not.stringContaining('hunter2'),
    });
  });
});

function expectNoSecret(error: unknown, secret: string): void {
  const err = error as Error & { details?: unknown; cause?: unknown };
  expect(err.message).not.toContain(secret);
  expect(JSON.stringify(err.details ?? null)).not.toContain(secret);
  expect(String((err.cause as Error | undefined)?.message ?? '')).not.toContain(secret);
  expect(err.stack ?? '').not.toContain(secret);
}

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
