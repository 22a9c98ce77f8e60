import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode for files that hold key material: read and write for the owner only. */
export const SECRET_FILE_MODE = 0o600;

/**
 * Reads a file holding key material as UTF-8, first tightening its mode to 0600 when
 * group or others have any access (or the owner has execute). Returns `undefined`
 * when the file does not exist.
 */
export async function readSecretFile(filePath: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(filePath, 'r');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    // fstat/fchmod on the open handle, so we tighten the very file we read.
    // Windows has no POSIX modes to tighten.
    const { mode } = await handle.stat();
    if (process.platform !== 'win32' && (mode & 0o777 & ~SECRET_FILE_MODE) !== 0) {
      await handle.chmod(SECRET_FILE_MODE);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Writes key material atomically with mode 0600: a temporary file in the same
 * directory (created 0600 from the start, flushed to disk) is moved into place, so
 * readers never see a partial key. Missing directories are created with mode 0700.
 *
 * With `replace: false` the file is only created, never overwritten: if another
 * process created it first this returns `false` and leaves theirs in place (losing a
 * race must not destroy a key that may already have encrypted data).
 *
 * @returns whether this call's content is now at `filePath`.
 */
export async function writeSecretFile(
  filePath: string,
  content: string,
  options: { replace: boolean },
): Promise<boolean> {
  const dir = dirname(filePath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(filePath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', SECRET_FILE_MODE);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.replace) {
      await rename(temp, filePath);
      return true;
    }
    return await createExclusively(temp, filePath, content);
  } finally {
    await rm(temp, { force: true });
  }
}

/** link() is an atomic create-if-absent, unlike rename(), which replaces. */
async function createExclusively(temp: string, filePath: string, content: string): Promise<boolean> {
  try {
    await link(temp, filePath);
    return true;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') return false;
    // Some filesystems (FAT, some network mounts) have no hard links: fall back to an
    // exclusive create of the final file, which is not atomic against crashes but never clobbers.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    try {
      const handle = await open(filePath, 'wx', SECRET_FILE_MODE);
      try {
        await handle.writeFile(content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      return true;
    } catch (inner) {
      if (errorCode(inner) === 'EEXIST') return false;
      throw inner;
    }
  }
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
