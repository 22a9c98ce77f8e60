import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring, SigningKey } from '../../../src/core/crypto/index.js';
import { IntegrityError, NotFoundError, PolicyViolationError } from '../../../src/core/errors/index.js';
import type { ArtifactStore } from '../../../src/registry/artifact-contracts.js';
import { AuditLog, PolicyService, SYSTEM_PRINCIPAL, type Project, type RequestContext } from '../../../src/security/index.js';
import type { BlobStore } from '../../../src/storage/blob/index.js';
import { migrateToLatest, openMetadataDatabase, type MetadataDatabase } from '../../../src/storage/metadata/index.js';
import { casKey, createArtifactStore } from '../../../src/tracking/artifacts/index.js';

/** What each blob engine gives the suite. */
export interface BlobEngine {
  name: string;
  /** a fresh, empty store with this region label */
  create(region: string): Promise<BlobStore>;
  /** flips one bit of the stored object at `offset`, the way an attacker with access to the storage would */
  flipByte(store: BlobStore, key: string, offset: number): Promise<void>;
}

export interface MetadataEngine {
  name: 'sqlite' | 'postgres';
  url?: string;
}

const REGIONS = { local: { inCountry: true }, 'eu-west-1': { inCountry: false } };
const MiB = 1024 * 1024;

export const project: Project = {
  name: 'p',
  description: '',
  allowedRegions: ['local'],
  createdAt: '2024-01-01T00:00:00.000Z',
  createdBy: 'system',
  updatedAt: '2024-01-01T00:00:00.000Z',
};
const projects = {
  get: async (name: string): Promise<Project> => {
    if (name === project.name) return project;
    throw new NotFoundError('FALAJ_PROJECT_NOT_FOUND', `project "${name}" does not exist`);
  },
};

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** Random bytes produced on demand, `chunk` at a time; keeps its own digest to compare. */
function randomSource(
  total: number,
  onProduce: (produced: number) => void = () => undefined,
  chunk = 256 * 1024,
): { stream: Readable; produced: () => number; sha256: () => string } {
  const hash = createHash('sha256');
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      const bytes = randomBytes(Math.min(chunk, total - produced));
      hash.update(bytes);
      produced += bytes.length;
      onProduce(produced);
      this.push(bytes);
    },
  });
  return { stream, produced: () => produced, sha256: () => hash.digest('hex') };
}

/**
 * The real store, with the bytes crossing its put/get boundary counted: what the
 * artifact store holds in memory is at most what the source produced (or the blob
 * delivered) and the other side has not yet taken.
 */
function metered(inner: BlobStore): { store: BlobStore; written: () => number; read: () => number } {
  let written = 0;
  let read = 0;
  const counter = (add: (n: number) => void) =>
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        add(chunk.length);
        cb(null, chunk);
      },
    });
  const store: BlobStore = {
    ...inner,
    engine: inner.engine,
    region: inner.region,
    put: (key, body) => {
      if (Buffer.isBuffer(body) || !key.startsWith('tmp/')) return inner.put(key, body);
      return inner.put(key, pipeline(body, counter((n) => (written += n)), () => undefined));
    },
    get: async (key) => pipeline(await inner.get(key), counter((n) => (read += n)), () => undefined),
  };
  return { store, written: () => written, read: () => read };
}

/**
 * The artifact store's behaviour over one blob engine and one metadata engine: every
 * implementation of BlobStore must pass it unchanged.
 */
export function describeArtifactStoreConformance(blobEngine: BlobEngine, metadataEngine: MetadataEngine): void {
  describe(`artifact store over ${blobEngine.name} blobs and ${metadataEngine.name} metadata`, () => {
    let database: MetadataDatabase;
    let schema: string | undefined;
    let audit: AuditLog;
    let blobs: BlobStore;
    let keyring: Keyring;
    let store: ArtifactStore;
    const ctx: RequestContext = { principal: { ...SYSTEM_PRINCIPAL, id: 'user-amal' }, requestId: 'req-1' };

    const makeStore = (over: { blobs?: BlobStore; policy?: PolicyService } = {}) =>
      createArtifactStore({
        db: database.db,
        blobs: over.blobs ?? blobs,
        keyring,
        audit,
        policy: over.policy ?? new PolicyService(audit, REGIONS, { blob: { store: 'blob', region: 'local' } }),
        projects,
      });
    const events = (action: string) => audit.list({ action, limit: 100 });

    beforeEach(async () => {
      schema = metadataEngine.name === 'postgres' ? `art_${randomBytes(6).toString('hex')}` : undefined;
      database = await openMetadataDatabase({ url: metadataEngine.url ?? ':memory:', ...(schema ? { schema } : {}) });
      await migrateToLatest(database.db);
      audit = new AuditLog(database.db, database.dialect, SigningKey.generate());
      await audit.init();
      keyring = Keyring.generate();
      blobs = await blobEngine.create('local');
      store = makeStore();
    });
    afterEach(async () => {
      await blobs.close();
      if (schema) await sql.raw(`drop schema if exists ${schema} cascade`).execute(database.db);
      await database.close();
    });

    it('puts, lists and opens buffers, with their digest and size', async () => {
      const model = Buffer.from('onnx weights '.repeat(1000));
      const info = await store.put(ctx, 'p', 'run-1', 'model/model.onnx', model);
      expect(info).toEqual({ path: 'model/model.onnx', sha256: createHash('sha256').update(model).digest('hex'), bytes: model.length });
      await store.put(ctx, 'p', 'run-1', 'model/MLmodel', Buffer.from('flavors: {}'));
      await store.put(ctx, 'p', 'run-1', 'model2/x', Buffer.from('other directory'));
      await store.put(ctx, 'p', 'run-1', 'empty.txt', Buffer.alloc(0));
      await store.put(ctx, 'p', 'run-2', 'model/model.onnx', Buffer.from('another run'));

      const opened = await store.open(ctx, 'p', 'run-1', 'model/model.onnx');
      expect(opened.info).toEqual(info);
      expect(await collect(opened.stream)).toEqual(model);
      expect(await collect((await store.open(ctx, 'p', 'run-1', 'empty.txt')).stream)).toEqual(Buffer.alloc(0));

      expect((await store.list('p', 'run-1')).map((a) => a.path)).toEqual(['empty.txt', 'model/MLmodel', 'model/model.onnx', 'model2/x']);
      // a prefix is a directory: model2/ is not under model/
      expect((await store.list('p', 'run-1', 'model')).map((a) => a.path)).toEqual(['model/MLmodel', 'model/model.onnx']);
      expect((await store.list('p', 'run-1', 'model/')).map((a) => a.path)).toEqual(['model/MLmodel', 'model/model.onnx']);
      expect(await store.list('p', 'run-1', 'model/MLmodel')).toEqual([expect.objectContaining({ path: 'model/MLmodel', bytes: 11 })]);
      expect(await store.list('p', 'run-1', 'nothing-here')).toEqual([]);
      expect(await store.list('p', 'run-3')).toEqual([]);
    });

    it('treats % and _ in prefixes literally and matches case exactly', async () => {
      await store.put(ctx, 'p', 'run-1', 'a_b/1', Buffer.from('1'));
      await store.put(ctx, 'p', 'run-1', 'axb/2', Buffer.from('2'));
      await store.put(ctx, 'p', 'run-1', 'A_B/3', Buffer.from('3'));
      await store.put(ctx, 'p', 'run-1', '100%/4', Buffer.from('4'));
      expect((await store.list('p', 'run-1', 'a_b')).map((a) => a.path)).toEqual(['a_b/1']);
      expect((await store.list('p', 'run-1', '100%')).map((a) => a.path)).toEqual(['100%/4']);
    });

    it('streams a 30 MB artifact in and out without holding it in memory', async () => {
      const { store: meteredBlobs, written, read } = metered(blobs);
      const artifacts = makeStore({ blobs: meteredBlobs });
      const size = 30 * MiB;
      let maxLagIn = 0;
      const source = randomSource(size, (produced) => (maxLagIn = Math.max(maxLagIn, produced - written())));
      const info = await artifacts.put(ctx, 'p', 'run-big', 'data/train.bin', source.stream);
      expect(info).toEqual({ path: 'data/train.bin', sha256: source.sha256(), bytes: size });
      expect(written()).toBeGreaterThan(size); // the whole ciphertext crossed the boundary as a stream
      expect(maxLagIn).toBeLessThan(8 * MiB);

      const readBefore = read(); // the copy from the temporary key was a read too
      const { stream } = await artifacts.open(ctx, 'p', 'run-big', 'data/train.bin');
      const hash = createHash('sha256');
      let delivered = 0;
      let maxLagOut = 0;
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        delivered += (chunk as Buffer).length;
        maxLagOut = Math.max(maxLagOut, read() - readBefore - delivered);
      }
      expect(delivered).toBe(size);
      expect(hash.digest('hex')).toBe(info.sha256);
      expect(maxLagOut).toBeLessThan(8 * MiB);
    });

    it('stores identical content once, whatever the run, path or way it arrives', async () => {
      const bytes = randomBytes(3 * MiB + 5);
      const a = await store.put(ctx, 'p', 'run-1', 'model.bin', bytes);
      const b = await store.put(ctx, 'p', 'run-2', 'copy/model.bin', bytes);
      const c = await store.put(ctx, 'p', 'run-3', 'streamed.bin', Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
      expect(new Set([a.sha256, b.sha256, c.sha256]).size).toBe(1);
      expect((await blobs.list('')).map((o) => o.key)).toEqual([casKey(a.sha256)]); // no second copy, no temp left over
      const writes = await events('artifact.write');
      expect(writes.map((e) => e.details.deduplicated)).toEqual([false, true, true]);
      expect((await collect((await store.open(ctx, 'p', 'run-3', 'streamed.bin')).stream)).equals(bytes)).toBe(true); // toEqual is slow on megabytes
    });

    it('keeps a streamed artifact at its content address and leaves no temporary object', async () => {
      const bytes = randomBytes(2 * MiB);
      const info = await store.put(ctx, 'p', 'run-1', 'x.bin', Readable.from([bytes]));
      expect((await blobs.list('')).map((o) => o.key)).toEqual([`cas/${info.sha256.slice(0, 2)}/${info.sha256}`]);
    });

    it('re-points a path logged again to the new content', async () => {
      await store.put(ctx, 'p', 'run-1', 'metrics.json', Buffer.from('{"auc":0.7}'));
      const second = await store.put(ctx, 'p', 'run-1', 'metrics.json', Buffer.from('{"auc":0.9}'));
      expect(await store.list('p', 'run-1')).toEqual([second]);
      expect((await collect((await store.open(ctx, 'p', 'run-1', 'metrics.json')).stream)).toString()).toBe('{"auc":0.9}');
    });

    it('keeps only ciphertext at rest', async () => {
      const secret = Buffer.from('customer-ids: 784-1987-1234567-1\n'.repeat(5000));
      const info = await store.put(ctx, 'p', 'run-1', 'pii.csv', secret);
      const atRest = await collect(await blobs.get(casKey(info.sha256)));
      expect(atRest.subarray(0, 4).toString('ascii')).toBe('FLJS');
      expect(atRest.length).toBeGreaterThan(secret.length);
      expect(atRest.includes(Buffer.from('784-1987'))).toBe(false);
      // and under a different keyring it cannot be read at all
      const stranger = createArtifactStore({
        db: database.db,
        blobs,
        keyring: Keyring.generate(),
        audit,
        policy: new PolicyService(audit, REGIONS, { blob: { store: 'blob', region: 'local' } }),
        projects,
      });
      const { stream } = await stranger.open(ctx, 'p', 'run-1', 'pii.csv');
      expect(await errorOf(collect(stream))).toMatchObject({ code: 'FALAJ_CRYPTO_KEY_UNKNOWN' });
    });

    it('audits every write and every read with who, which run and path, and the digest', async () => {
      const info = await store.put(ctx, 'p', 'run-1', 'model.onnx', Buffer.from('m'));
      for (let i = 0; i < 3; i++) await collect((await store.open(ctx, 'p', 'run-1', 'model.onnx')).stream);
      // opening without reading is still a read
      (await store.open(ctx, 'p', 'run-1', 'model.onnx')).stream.destroy();
      const reads = await events('artifact.read');
      expect(reads).toHaveLength(4);
      expect(reads[0]).toMatchObject({
        actor: 'user-amal',
        project: 'p',
        resource: 'artifact/run-1/model.onnx',
        outcome: 'success',
        requestId: 'req-1',
        details: { runId: 'run-1', path: 'model.onnx', sha256: info.sha256 },
      });
      expect(await events('artifact.write')).toEqual([
        expect.objectContaining({ actor: 'user-amal', details: expect.objectContaining({ sha256: info.sha256, bytes: 1 }) }),
      ]);
      expect((await audit.verify()).ok).toBe(true);
    });

    it('fails the stream with FALAJ_ARTIFACT_TAMPERED and audits it when a stored byte is flipped', async () => {
      const bytes = randomBytes(3 * MiB);
      const info = await store.put(ctx, 'p', 'run-1', 'model.bin', bytes);
      await blobEngine.flipByte(blobs, casKey(info.sha256), 2 * MiB + 100); // inside the third segment
      const { stream } = await store.open(ctx, 'p', 'run-1', 'model.bin');
      const error = await errorOf(collect(stream));
      expect(error).toBeInstanceOf(IntegrityError);
      expect(error).toMatchObject({ code: 'FALAJ_ARTIFACT_TAMPERED', details: { path: 'model.bin', runId: 'run-1' } });
      const tampered = await events('artifact.tampered');
      expect(tampered).toEqual([
        expect.objectContaining({ actor: 'user-amal', project: 'p', outcome: 'failure', details: expect.objectContaining({ path: 'model.bin', sha256: info.sha256 }) }),
      ]);
      expect(await events('artifact.read')).toHaveLength(1);
    });

    it('detects a blob swapped for another valid ciphertext by its SHA-256', async () => {
      const a = await store.put(ctx, 'p', 'run-1', 'a.bin', Buffer.from('the model we trained'));
      const b = await store.put(ctx, 'p', 'run-1', 'b.bin', Buffer.from('a backdoored model'));
      await blobs.put(casKey(a.sha256), await blobs.get(casKey(b.sha256)));
      const error = await errorOf(collect((await store.open(ctx, 'p', 'run-1', 'a.bin')).stream));
      expect(error).toMatchObject({ code: 'FALAJ_ARTIFACT_TAMPERED', message: expect.stringMatching(/recorded SHA-256/) });
      const [event] = await events('artifact.tampered');
      expect(event?.details).toMatchObject({ sha256: a.sha256, actual: { sha256: b.sha256 } });
    });

    it('treats a lost blob as tampering, and an unknown path as not found', async () => {
      const info = await store.put(ctx, 'p', 'run-1', 'a.bin', Buffer.from('x'));
      await blobs.delete(casKey(info.sha256));
      expect(await errorOf(store.open(ctx, 'p', 'run-1', 'a.bin'))).toMatchObject({ code: 'FALAJ_ARTIFACT_TAMPERED' });
      expect(await events('artifact.tampered')).toHaveLength(1);
      expect(await errorOf(store.open(ctx, 'p', 'run-1', 'nope.bin'))).toMatchObject({ name: 'NotFoundError', code: 'FALAJ_ARTIFACT_NOT_FOUND' });
    });

    it('refuses to write where the project may not keep data, writing nothing', async () => {
      const abroad = await blobEngine.create('eu-west-1');
      try {
        const policy = new PolicyService(audit, REGIONS, { blob: { store: 'blob', region: 'eu-west-1' } });
        const refusing = makeStore({ blobs: abroad, policy });
        const source = randomSource(MiB);
        for (const body of [Buffer.from('weights'), source.stream]) {
          const error = await errorOf(refusing.put(ctx, 'p', 'run-1', 'model.onnx', body));
          expect(error).toBeInstanceOf(PolicyViolationError);
          expect((error as Error).message).toMatch(/eu-west-1/);
        }
        expect(source.produced()).toBe(0); // not even read
        expect(await abroad.list('')).toEqual([]);
        expect(await refusing.list('p', 'run-1')).toEqual([]);
        expect(await events('policy.violation')).toHaveLength(2);
        expect(await events('artifact.write')).toEqual([]);
        // the blob adapter's own region label counts too, even if configuration says otherwise
        const mislabelled = makeStore({ blobs: abroad });
        expect(await errorOf(mislabelled.put(ctx, 'p', 'run-1', 'model.onnx', Buffer.from('w')))).toBeInstanceOf(PolicyViolationError);
        expect(await abroad.list('')).toEqual([]);
      } finally {
        await abroad.close();
      }
    });

    it('refuses unsafe paths and unknown projects before writing', async () => {
      for (const path of ['', '/etc/passwd', '../x', 'a//b', 'a/./b', 'a\\b', 'trailing/', 'nul\u0000']) {
        expect(await errorOf(store.put(ctx, 'p', 'run-1', path, Buffer.from('x')))).toMatchObject({ code: 'FALAJ_ARTIFACT_PATH_INVALID' });
      }
      expect(await errorOf(store.put(ctx, 'p', 'a/b', 'x', Buffer.from('x')))).toMatchObject({ code: 'FALAJ_ARTIFACT_PATH_INVALID' });
      expect(await errorOf(store.put(ctx, 'nope', 'run-1', 'x', Buffer.from('x')))).toMatchObject({ code: 'FALAJ_PROJECT_NOT_FOUND' });
      expect(await blobs.list('')).toEqual([]);
    });

    it('reports a failing source stream and leaves nothing behind', async () => {
      let sent = 0;
      const failing = new Readable({
        read() {
          if (sent++ < 4) this.push(randomBytes(MiB));
          else this.destroy(new Error('client hung up'));
        },
      });
      expect(await errorOf(store.put(ctx, 'p', 'run-1', 'partial.bin', failing))).toMatchObject({ message: 'client hung up' });
      expect(await blobs.list('')).toEqual([]);
      expect(await store.list('p', 'run-1')).toEqual([]);
    });
  });
}
