import { InputError } from '../../core/errors/index.js';

// The blob stores' own limits, so a run path is never the reason a write fails below us.
const MAX_PATH_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks a file's path inside a run: `/`-separated, relative, no empty, `.` or `..`
 * segment, no backslash or control character, at most 1024 bytes (255 per segment).
 * @throws InputError `FALAJ_ARTIFACT_PATH_INVALID` naming the rule broken
 */
export function assertArtifactPath(path: string): void {
  const reason = pathProblem(path);
  if (reason !== undefined) throw invalid('path', path, reason);
}

/**
 * Normalises a listing prefix: '' (everything) or a directory path inside the run; a
 * trailing `/` is dropped.
 * @throws InputError `FALAJ_ARTIFACT_PATH_INVALID`
 */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  const reason = pathProblem(trimmed);
  if (reason !== undefined) throw invalid('prefix', prefix ?? '', reason);
  return trimmed;
}

/**
 * Checks a run id as it appears in audit resources: 1-256 characters, no `/`, no control characters.
 * @throws InputError `FALAJ_ARTIFACT_PATH_INVALID`
 */
export function assertRunId(runId: string): void {
  if (typeof runId !== 'string' || runId === '' || runId.length > 256 || runId.includes('/') || CONTROL.test(runId)) {
    throw invalid('run id', runId, 'it must be 1-256 characters without "/" or control characters');
  }
}

/** Whether `path` lies under the directory `prefix` ('' is the run's root). */
export function isUnder(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function pathProblem(path: string): string | undefined {
  if (typeof path !== 'string' || path === '') return 'it is empty';
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) return `it is longer than ${MAX_PATH_BYTES} bytes`;
  if (path.startsWith('/')) return 'it starts with "/" (paths are relative to the run)';
  if (path.includes('\\')) return 'it contains a backslash (use "/" between directories)';
  if (CONTROL.test(path)) return 'it contains a control character';
  for (const segment of path.split('/')) {
    if (segment === '') return 'it has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return `it has a "${segment}" segment`;
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

function invalid(what: string, value: string, reason: string): InputError {
  const shown = JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
  return new InputError('FALAJ_ARTIFACT_PATH_INVALID', `artifact ${what} ${shown} is not valid: ${reason}.`, { details: { [what]: value } });
}
