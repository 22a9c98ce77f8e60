import { InputError } from '../../core/errors/index.js';

/**
 * The first characters of the name of a file being written by the directory store. No key
 * segment may start with them, so a half-written file is never mistaken for an object.
 */
export const PARTIAL_FILE_MARKER = '.falaj-partial-';

// S3's own limit on a key, in UTF-8 bytes.
const MAX_KEY_BYTES = 1024;
// NAME_MAX on Linux and macOS: every segment becomes a file or folder name in the directory store.
const MAX_SEGMENT_BYTES = 255;
// Control characters: invisible in logs and refused by some file systems.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks that `key` names an object the same way in every store, so that objects can move
 * between a directory and S3: `/`-separated segments, none empty, `.` or `..`; no leading
 * slash, no backslash, no control characters; at most 1024 bytes, 255 per segment.
 *
 * @throws InputError `FALAJ_BLOB_KEY_INVALID` naming the rule broken
 */
export function assertBlobKey(key: string): void {
  const reason = keyProblem(key);
  if (reason !== undefined) throw invalidKey(key, reason);
}

/**
 * Checks a listing prefix: any start of a valid key (it may end in `/`, or stop inside a
 * segment), or the empty string for everything.
 *
 * @throws InputError `FALAJ_BLOB_KEY_INVALID`
 */
export function assertBlobPrefix(prefix: string): void {
  if (prefix === '') return;
  // A prefix may stop anywhere (`a/` starts `a/b`, `a/.` starts `a/.env`): check a key it begins.
  const reason = keyProblem(`${prefix}x`);
  if (reason !== undefined) throw invalidKey(prefix, reason, 'prefix');
}

/** Orders keys as S3 lists them: by their UTF-8 bytes (not UTF-16 code units, as `<` does). */
export function compareBlobKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key === '') return 'it is empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.startsWith('/')) return 'it starts with "/" (keys are relative)';
  if (key.includes('\\')) return 'it contains a backslash (use "/" between segments)';
  if (CONTROL.test(key)) return 'it contains a control character';
  for (const segment of key.split('/')) {
    if (segment === '') return 'it has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return `it has a "${segment}" segment`;
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`;
    if (segment.startsWith(PARTIAL_FILE_MARKER)) return `a segment starts with "${PARTIAL_FILE_MARKER}", kept for files being written`;
  }
  return undefined;
}

function invalidKey(key: string, reason: string, what = 'key'): InputError {
  // Long or binary keys are cut in the message; details keep the whole key for debugging.
  const shown = JSON.stringify(key.length > 120 ? `${key.slice(0, 120)}…` : key);
  return new InputError('FALAJ_BLOB_KEY_INVALID', `blob ${what} ${shown} is not valid: ${reason}.`, { details: { [what]: key } });
}
