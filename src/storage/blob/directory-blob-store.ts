import { constants } from 'node:fs';
import { access, mkdir, open, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError } from '../../core/errors/index.js';
import { assertBlobKey, assertBlobPrefix, compareBlobKeys } from './blob-key.js';
import type { BlobInfo, BlobStore } from './blob-store.js';
import { blobNotFound, blobStoreUnavailable } from './blob-store-errors.js';
import { fsCode, listFiles, writeFileAtomically } from './directory-files.js';

/** Options of {@link createDirectoryBlobStore}. */
export interface DirectoryBlobStoreOptions {
  /** The folder holding the objects; created on the first write. */
  root: string;
  /** The region label of the machine the folder is on, checked by the residency policy. */
  region: string;
}

// Errors that mean "a file is where a folder must be, or the reverse".
const SHAPE_CLASH = new Set(['ENOTDIR', 'EEXIST', 'EISDIR', 'ENOTEMPTY']);
// Errors that mean "there is nothing (no regular file) at this key".
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/**
 * The embedded blob store: one file per object under `root`, at the key's path (key
 * `a/b/c` → `<root>/a/b/c`), so operators can see and back up artifacts with plain tools.
 *
 * Writes are atomic (partial file, fsync, rename): a crash leaves the old object or the
 * new one, never half of one. Files are created `0600` and folders `0700`. Folders left
 * empty by a delete are removed.
 *
 * Unlike S3, a key cannot also be the folder of other keys (`a` and `a/b`): such a write
 * is a ConflictError `FALAJ_BLOB_KEY_CONFLICT`. Content-addressed artifact keys never
 * clash this way.
 *
 * @example
 * ```ts
 * const blobs = createDirectoryBlobStore({ root: './.falaj/blobs', region: 'local' });
 * await blobs.put('artifacts/ab/cdef', Buffer.from('hello'));
 * ```
 */
export function createDirectoryBlobStore(options: DirectoryBlobStoreOptions): BlobStore {
  const root = resolve(options.root);
  const location = `directory ${root}`;
  const pathOf = (key: string) => join(root, ...key.split('/'));

  /** Maps a write's file system error: a clash between keys is a conflict, the rest unavailable. */
  async function writeFailure(err: unknown, key: string): Promise<unknown> {
    const code = fsCode(err);
    if (code === undefined) return err; // not the file system's: the caller's stream failed
    // A clash is between keys only if the root itself is a folder (not a file in its place).
    if (SHAPE_CLASH.has(code) && (await stat(root).catch(() => undefined))?.isDirectory()) {
      return new ConflictError(
        'FALAJ_BLOB_KEY_CONFLICT',
        `blob key ${JSON.stringify(key)} clashes with another key in ${location}: one key cannot be both an object and a folder of objects (${code}). Choose keys that are never the start of another key followed by "/".`,
        { details: { key } },
      );
    }
    return blobStoreUnavailable(location, err);
  }

  async function removeEmptyFolders(from: string): Promise<void> {
    for (let folder = from; folder.startsWith(root) && folder !== root; folder = dirname(folder)) {
      try {
        await rmdir(folder);
      } catch {
        return; // not empty (ENOTEMPTY), already gone, or not ours to remove: stop climbing
      }
    }
  }

  return {
    engine: 'directory',
    region: options.region,

    async put(key: string, body: Buffer | Readable): Promise<BlobInfo> {
      assertBlobKey(key);
      const target = pathOf(key);
      try {
        const bytes = await writeFileAtomically(target, dirname(target), body);
        return { key, bytes };
      } catch (err) {
        throw await writeFailure(err, key);
      }
    },

    async get(key: string): Promise<Readable> {
      assertBlobKey(key);
      // Open before returning, so a missing key fails here rather than on the first read.
      let handle;
      try {
        handle = await open(pathOf(key), 'r');
      } catch (err) {
        if (ABSENT.has(fsCode(err) ?? '')) throw blobNotFound(key, location);
        throw blobStoreUnavailable(location, err);
      }
      try {
        // On Linux a folder opens for reading; it is not an object.
        if (!(await handle.stat()).isFile()) throw blobNotFound(key, location);
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw fsCode(err) === undefined ? err : blobStoreUnavailable(location, err);
      }
      // The stream closes the handle when it ends, fails or is destroyed.
      return handle.createReadStream();
    },

    async head(key: string): Promise<BlobInfo | undefined> {
      assertBlobKey(key);
      try {
        const info = await stat(pathOf(key));
        return info.isFile() ? { key, bytes: info.size } : undefined;
      } catch (err) {
        if (ABSENT.has(fsCode(err) ?? '')) return undefined;
        throw blobStoreUnavailable(location, err);
      }
    },

    async list(prefix: string): Promise<BlobInfo[]> {
      assertBlobPrefix(prefix);
      try {
        const files = await listFiles(root, prefix);
        return files.sort((a, b) => compareBlobKeys(a.key, b.key));
      } catch (err) {
        throw blobStoreUnavailable(location, err);
      }
    },

    async delete(key: string): Promise<void> {
      assertBlobKey(key);
      const target = pathOf(key);
      try {
        await unlink(target);
      } catch (err) {
        const code = fsCode(err) ?? '';
        if (ABSENT.has(code)) return;
        // unlink of a folder is EPERM on macOS (EISDIR on Linux): a folder is no object
        if (code === 'EPERM' && (await stat(target).catch(() => undefined))?.isDirectory()) return;
        throw blobStoreUnavailable(location, err);
      }
      await removeEmptyFolders(dirname(target));
    },

    async ping(): Promise<void> {
      try {
        await mkdir(root, { recursive: true, mode: 0o700 });
        await access(root, constants.R_OK | constants.W_OK);
      } catch (err) {
        throw blobStoreUnavailable(location, err);
      }
    },

    async close(): Promise<void> {
      // Nothing held open between calls: every call opens and closes its own files.
    },
  };
}
