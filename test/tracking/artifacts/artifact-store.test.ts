import { randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { createDirectoryBlobStore, createS3BlobStore, type BlobStore } from '../../../src/storage/blob/index.js';
import { engineUrl } from '../../helpers/engines.js';
import { startS3rver, type RunningS3rver } from '../../storage/blob/s3rver-process.js';
import { collect, describeArtifactStoreConformance, type BlobEngine, type MetadataEngine } from './artifact-store.conformance.js';

const pg = engineUrl('postgres');
const METADATA: MetadataEngine[] = [{ name: 'sqlite' }, ...(pg ? [{ name: 'postgres' as const, url: pg }] : [])];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'falaj-artifacts-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Directory store: the tampering edits the file on disk, as someone with access to the folder would. */
const roots = new WeakMap<BlobStore, string>();
const directory: BlobEngine = {
  name: 'directory',
  create: async (region) => {
    const root = join(scratch, `blobs-${randomUUID()}`);
    const store = createDirectoryBlobStore({ root, region });
    roots.set(store, root);
    return store;
  },
  flipByte: async (store, key, offset) => {
    const file = await open(join(roots.get(store)!, ...key.split('/')), 'r+');
    try {
      const byte = Buffer.alloc(1);
      await file.read(byte, 0, 1, offset);
      byte[0]! ^= 0x01;
      await file.write(byte, 0, 1, offset);
    } finally {
      await file.close();
    }
  },
};

for (const metadata of METADATA) describeArtifactStoreConformance(directory, metadata);

describe('over a real S3 server (s3rver on loopback)', () => {
  const bucket = 'falaj-artifacts';
  let server: RunningS3rver | undefined;
  let serverDir: string;
  let endpoint = '';

  beforeAll(async () => {
    serverDir = await mkdtemp(join(tmpdir(), 'falaj-s3rver-'));
    server = await startS3rver(serverDir, bucket); // the blob store suite's helper: s3rver in a child process
    endpoint = server.endpoint;
  });
  afterAll(async () => {
    await server?.stop();
    await rm(serverDir, { recursive: true, force: true });
  });

  /** S3: the tampering rewrites the object through the API, as someone with write access to the bucket would. */
  const s3: BlobEngine = {
    name: 's3',
    create: (region) =>
      createS3BlobStore({ endpoint, bucket, prefix: `t-${randomUUID()}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', regionLabel: region }),
    flipByte: async (store, key, offset) => {
      const bytes = await collect(await store.get(key));
      bytes[offset]! ^= 0x01;
      await store.put(key, bytes);
    },
  };

  describeArtifactStoreConformance(s3, { name: 'sqlite' });
});
