import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { sha256File } from '../../core/crypto/index.js';

/** The files of a written dataset version and its identity. */
export interface DatasetFiles {
  /** relative to the directory, `/`-separated, sorted */
  files: string[];
  sha256: string;
}

/**
 * Every file under `dir` (relative paths) and the dataset's identity: the SHA-256 of the
 * concatenated lowercase hex SHA-256 digests of its files, ordered by path with the file
 * name replaced by its digest (partition directory, then digest). DuckDB names files
 * `part-<random uuid>`, so ordering by name would make the same rows hash differently.
 *
 * To recompute it by hand, in the output directory, over the version's `files`:
 * `for f in $files; do echo "$(dirname $f) $(sha256sum < $f | cut -c1-64)"; done | LC_ALL=C sort | cut -d' ' -f2 | tr -d '\n' | sha256sum`
 *
 * It identifies the bytes written. DuckDB writes partitions from several threads, so the
 * same rows ingested twice give the same digest for small batches (one thread) but not in
 * general: it proves a version's files unchanged, it does not deduplicate inputs.
 */
export async function datasetDigest(dir: string): Promise<DatasetFiles> {
  const files = await listFiles(dir);
  const entries = await Promise.all(files.map(async (file) => ({ file, digest: await sha256File(join(dir, file)) })));
  const key = (e: { file: string; digest: string }): string => `${posix.dirname(e.file)}/${e.digest}`;
  entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const hash = createHash('sha256');
  for (const e of entries) hash.update(e.digest);
  return { files: [...files].sort(), sha256: hash.digest('hex') };
}

/** Files under `dir`, recursively, relative and `/`-separated. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => posix.join(...join(e.parentPath, e.name).slice(dir.length + 1).split(/[\\/]/)));
}

/**
 * Moves files (relative paths) from `from` into `to`, keeping their paths. New files only:
 * nothing in `to` is overwritten. If a move fails, the files already moved are taken back
 * out, so readers of `to` see the whole batch or none of it (a crash during the moves
 * themselves, milliseconds, is the one window where part of a batch shows).
 */
export async function publishFiles(from: string, files: readonly string[], to: string): Promise<void> {
  const moved: string[] = [];
  try {
    for (const file of files) {
      const target = join(to, file);
      await mkdir(dirname(target), { recursive: true });
      await moveFile(join(from, file), target);
      moved.push(target);
    }
  } catch (err) {
    await Promise.all(moved.map((path) => rm(path, { force: true })));
    throw err;
  }
}

/**
 * Renames a file; across file systems (`EXDEV`, a temp directory on another disk) copies
 * it beside the target under a hidden name, then renames it, so the target appears whole.
 */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const hidden = join(dirname(to), `.${randomUUID()}.tmp`);
    try {
      await copyFile(from, hidden);
      await rename(hidden, to);
    } finally {
      await rm(hidden, { force: true });
    }
    await rm(from, { force: true });
  }
}
