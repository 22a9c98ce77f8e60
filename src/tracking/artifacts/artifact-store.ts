import { createHash, randomUUID } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import type { Keyring } from '../../core/crypto/index.js';
import { IntegrityError, NotFoundError, isFalajError } from '../../core/errors/index.js';
import type { ArtifactInfo, ArtifactStore } from '../../registry/artifact-contracts.js';
import type { AuditLog, PolicyService, Project, RequestContext, StoreLocation } from '../../security/index.js';
import type { BlobStore } from '../../storage/blob/index.js';
import type { Db } from '../../storage/metadata/index.js';
import { assertArtifactPath, assertRunId, isUnder, normalizePrefix } from './artifact-path.js';
import { decryptStream, encryptStream } from './chunked-envelope.js';
import * as repo from './run-artifact.repository.js';
import type { RunArtifactTable } from './run-artifact.table.js';

/** Resolves a project name to its settings (ProjectService satisfies it). */
export interface ProjectLookup {
  get(name: string): Promise<Project>;
}

export interface ArtifactStoreOptions {
  db: Kysely<Db>;
  blobs: BlobStore;
  keyring: Keyring;
  audit: AuditLog;
  policy: PolicyService;
  projects: ProjectLookup;
  clock?: Clock;
}

/** Artifacts are never less than internal: their residency is checked as such. */
const ARTIFACT_CLASSIFICATION = 'internal';

/** Where a plaintext digest's encrypted bytes live. */
export function casKey(sha256: string): string {
  return `cas/${sha256.slice(0, 2)}/${sha256}`;
}

/**
 * The run artifact store: content-addressed by the plaintext's SHA-256 (one blob per
 * distinct content, whatever the number of runs and paths naming it), encrypted at rest
 * in a chunked envelope with a fresh data key per blob, residency-checked before any
 * write, and audited on every write and read. Streams are never held whole in memory.
 *
 * @example
 * const artifacts = createArtifactStore({ db, blobs, keyring, audit, policy, projects });
 * await artifacts.put(ctx, 'fraud', runId, 'model/model.onnx', createReadStream('model.onnx'));
 * const { stream } = await artifacts.open(ctx, 'fraud', runId, 'model/model.onnx');
 */
export function createArtifactStore(options: ArtifactStoreOptions): ArtifactStore {
  const { db, blobs, keyring, audit, policy, projects } = options;
  const clock = options.clock ?? systemClock;

  /** The configured blob location and, if it differs, the region the adapter itself reports. */
  function blobLocations(): StoreLocation[] {
    const configured = policy.store('blob');
    if (!configured) return [{ store: 'blob', region: blobs.region }];
    return configured.region === blobs.region ? [configured] : [configured, { store: configured.store, region: blobs.region }];
  }

  /** Encrypts `source` into `key`, digesting the plaintext on the way. */
  async function writeEncrypted(key: string, source: Readable): Promise<{ sha256: string; bytes: number }> {
    const digest = new DigestTransform();
    const encrypted = encryptStream(keyring);
    let sourceError: unknown;
    source.once('error', (err) => (sourceError ??= err));
    const piped = new Promise<void>((resolve, reject) => {
      pipeline(source, digest, encrypted, (err) => (err ? reject(err) : resolve()));
    });
    // A store that gives up mid-write stops reading: end the pipeline so it settles too.
    const put = blobs.put(key, encrypted).catch((err: unknown) => {
      encrypted.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    });
    const [pipe, stored] = await Promise.allSettled([piped, put]);
    // The source's own failure (a client that hung up) is the root cause: report it first.
    if (sourceError !== undefined) throw sourceError;
    if (stored.status === 'rejected') throw stored.reason;
    if (pipe.status === 'rejected') throw pipe.reason;
    return { sha256: digest.sha256(), bytes: digest.bytes };
  }

  /** Stores `body` under its content address unless that content is already there. */
  async function storeContent(body: Buffer | Readable): Promise<{ sha256: string; bytes: number; deduplicated: boolean }> {
    if (Buffer.isBuffer(body)) {
      // Already in memory: hash first, then write straight to the final key, or not at all.
      const sha256 = createHash('sha256').update(body).digest('hex');
      if (await blobs.head(casKey(sha256))) return { sha256, bytes: body.length, deduplicated: true };
      await writeEncrypted(casKey(sha256), Readable.from([body]));
      return { sha256, bytes: body.length, deduplicated: false };
    }
    // A stream's digest is known only at its end, and a BlobStore cannot rename: write to
    // a temporary key, then copy the ciphertext (streamed, not re-encrypted) to its address.
    const tmp = `tmp/${randomUUID()}`;
    try {
      const { sha256, bytes } = await writeEncrypted(tmp, body);
      const target = casKey(sha256);
      if (await blobs.head(target)) return { sha256, bytes, deduplicated: true };
      await blobs.put(target, await blobs.get(tmp));
      return { sha256, bytes, deduplicated: false };
    } finally {
      await blobs.delete(tmp).catch(() => undefined);
    }
  }

  async function recordTampering(ctx: RequestContext, row: RunArtifactTable, reason: string, actual?: { sha256: string; bytes: number }): Promise<IntegrityError> {
    await audit.record({
      actor: ctx.principal.id,
      action: 'artifact.tampered',
      resource: `artifact/${row.run_id}/${row.path}`,
      project: row.project,
      outcome: 'failure',
      requestId: ctx.requestId,
      details: { runId: row.run_id, path: row.path, sha256: row.sha256, bytes: row.bytes, reason, ...(actual ? { actual } : {}) },
    });
    return new IntegrityError(
      'FALAJ_ARTIFACT_TAMPERED',
      `artifact "${row.path}" of run ${row.run_id} in project ${row.project} failed its integrity check: ${reason}. ` +
        'The stored copy was altered or lost; do not use what was read. Restore the blob from a backup or log the artifact again.',
      { details: { project: row.project, runId: row.run_id, path: row.path, sha256: row.sha256 } },
    );
  }

  /** Decrypts and re-digests as it streams; any mismatch is audited, then errors the stream. */
  async function* verifiedPlaintext(ctx: RequestContext, row: RunArtifactTable, plaintext: Readable): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of plaintext as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    } catch (err) {
      if (err instanceof IntegrityError) throw await recordTampering(ctx, row, err.message);
      throw err;
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== row.sha256 || bytes !== Number(row.bytes)) {
      throw await recordTampering(ctx, row, 'its content does not match the recorded SHA-256', { sha256, bytes });
    }
  }

  return {
    async put(ctx, projectName, runId, path, body) {
      assertRunId(runId);
      assertArtifactPath(path);
      const project = await projects.get(projectName);
      for (const location of blobLocations()) {
        await policy.enforce(ctx, project, ARTIFACT_CLASSIFICATION, location, `artifact/${runId}/${path}`);
      }
      const { sha256, bytes, deduplicated } = await storeContent(body);
      const row: RunArtifactTable = {
        project: project.name,
        run_id: runId,
        path,
        sha256,
        bytes,
        created_at: clock.now().toISOString(),
        created_by: ctx.principal.id,
      };
      await db.transaction().execute(async (tx) => {
        await repo.upsertArtifact(tx, row);
        await audit.append(tx, {
          actor: ctx.principal.id,
          action: 'artifact.write',
          resource: `artifact/${runId}/${path}`,
          project: project.name,
          outcome: 'success',
          requestId: ctx.requestId,
          details: { runId, path, sha256, bytes, deduplicated },
        });
      });
      return { path, sha256, bytes };
    },

    async list(project, runId, prefix) {
      assertRunId(runId);
      const dir = normalizePrefix(prefix);
      const rows = await repo.listArtifacts(db, project, runId, dir);
      return rows
        .filter((row) => isUnder(row.path, dir))
        .map(toInfo)
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async open(ctx, project, runId, path) {
      assertRunId(runId);
      assertArtifactPath(path);
      const row = await repo.findArtifact(db, project, runId, path);
      if (!row) {
        throw new NotFoundError('FALAJ_ARTIFACT_NOT_FOUND', `run ${runId} in project ${project} has no artifact "${path}": list the run's artifacts to see what it holds`, {
          details: { project, runId, path },
        });
      }
      await audit.record({
        actor: ctx.principal.id,
        action: 'artifact.read',
        resource: `artifact/${runId}/${path}`,
        project,
        outcome: 'success',
        requestId: ctx.requestId,
        details: { runId, path, sha256: row.sha256 },
      });
      let blob: Readable;
      try {
        blob = await blobs.get(casKey(row.sha256));
      } catch (err) {
        if (isFalajError(err) && err.code === 'FALAJ_BLOB_NOT_FOUND') throw await recordTampering(ctx, row, 'its encrypted blob is missing');
        throw err;
      }
      const plaintext = pipeline(blob, decryptStream(keyring), () => undefined);
      const stream = Readable.from(verifiedPlaintext(ctx, row, plaintext), { objectMode: false });
      // A reader that gives up before the first read never starts the generator: release the blob here.
      stream.once('close', () => plaintext.destroy());
      return { info: toInfo(row), stream };
    },
  };
}

function toInfo(row: RunArtifactTable): ArtifactInfo {
  return { path: row.path, sha256: row.sha256, bytes: Number(row.bytes) };
}

/** Passes bytes through unchanged, keeping their SHA-256 and count. */
class DigestTransform extends Transform {
  readonly #hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null, data?: Buffer) => void): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  sha256(): string {
    return this.#hash.digest('hex');
  }
}
