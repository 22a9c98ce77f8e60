import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PARTIAL_FILE_MARKER } from './blob-key.js';

/** A file system error, as Node raises them. */
export type FsError = Error & { code?: string; syscall?: string };

export function fsCode(err: unknown): string | undefined {
  return (err as FsError | undefined)?.code;
}

/**
 * Writes `body` to `target` so that a reader (or a crash) sees either the old file or the
 * whole new one, never part of it: the bytes go to a partial file in the same folder
 * (same file system, so the rename is atomic), are fsynced, then renamed over `target`,
 * and the folder is fsynced so the rename itself survives a power cut.
 *
 * Creates missing folders. Returns the number of bytes written. A stream is copied chunk
 * by chunk, never held whole.
 */
export async function writeFileAtomically(target: string, folder: string, body: Uint8Array | Readable): Promise<number> {
  const partial = join(folder, `${PARTIAL_FILE_MARKER}${randomUUID()}`);
  const handle = await openPartial(partial, folder);
  let renamed = false;
  try {
    if (body instanceof Uint8Array) await handle.writeFile(body);
    // One chunk at a time: the next is read only once the last is written (back-pressure).
    // Leaving the loop early (a failed write) destroys `body`.
    else for await (const chunk of body) await writeAll(handle, typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
    await handle.sync();
    const { size } = await handle.stat();
    await handle.close();
    await rename(partial, target);
    renamed = true;
    await syncFolder(folder);
    return size;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await unlink(partial).catch(() => undefined);
    }
  }
}

/** One write(2) may take only part of a chunk; loop until all of it is written. */
async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, offset);
    offset += bytesWritten;
  }
}

/**
 * Opens a new partial file, creating its folder. A concurrent delete may remove the
 * (empty) folder between the mkdir and the open; then both are tried again.
 */
async function openPartial(partial: string, folder: string): Promise<FileHandle> {
  for (let attempt = 1; ; attempt++) {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    try {
      return await open(partial, 'wx', 0o600);
    } catch (err) {
      if (fsCode(err) !== 'ENOENT' || attempt >= 5) throw err;
    }
  }
}

async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync a folder; the rename is still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** One regular file found by {@link listFiles}. */
export interface ListedFile {
  key: string;
  bytes: number;
}

/**
 * Every regular file under `root` whose key (path relative to `root`, `/`-separated)
 * starts with `prefix`, in no particular order. Only folders that can hold such keys are
 * read; partial files and symbolic links are skipped, so a listing never leaves `root`.
 * Files and folders removed while the walk runs are skipped, not errors.
 */
export async function listFiles(root: string, prefix: string): Promise<ListedFile[]> {
  const found: ListedFile[] = [];
  // Start at the deepest folder every match lies under: `a/b/c` → `a/b/`.
  const start = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const pending: string[] = [start];
  while (pending.length > 0) {
    const folderKey = pending.pop()!;
    const folder = join(root, ...folderKey.split('/').filter(Boolean));
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (err) {
      if (fsCode(err) === 'ENOENT' || fsCode(err) === 'ENOTDIR') continue;
      throw err;
    }
    const files: string[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith(PARTIAL_FILE_MARKER)) continue;
      const key = folderKey + entry.name;
      if (entry.isDirectory()) {
        const sub = `${key}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) pending.push(sub);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        files.push(key);
      }
    }
    const sizes = await Promise.all(files.map((key) => fileSize(join(folder, key.slice(folderKey.length)))));
    files.forEach((key, i) => {
      const bytes = sizes[i];
      if (bytes !== undefined) found.push({ key, bytes });
    });
  }
  return found;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (fsCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}
