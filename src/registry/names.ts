import { InputError } from '../core/errors/index.js';
import type { Tags } from './model-types.js';

/**
 * Names and tags as the registry accepts them, checked in the service so every caller
 * (our routes, the MLflow layer, the SDK) gets the same rules. Limits follow MLflow's.
 */

/** Any text but control characters and `/` (the name is a URL path segment); `-` alone is reserved for routes. */
const MODEL_NAME = /^[^\u0000-\u001f\u007f/]{1,256}$/u;
/** Letters, digits and `_ . - / : space`: safe inside a JSON path, as MLflow tag keys are in practice. */
const TAG_KEY = /^[A-Za-z0-9_.\-/: ]{1,250}$/;
export const MAX_TAG_VALUE = 5000;
export const MAX_TAGS = 100;
export const MAX_DESCRIPTION = 5000;

export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name) || name === '-' || name.trim() !== name) {
    throw new InputError('FALAJ_VALIDATION_FAILED', `invalid model name "${name}": 1-256 characters, no "/", no control characters, no leading or trailing spaces`);
  }
  return name;
}

export function checkTagKey(key: string): string {
  if (!TAG_KEY.test(key)) throw new InputError('FALAJ_VALIDATION_FAILED', `invalid tag key "${key}": 1-250 letters, digits, "_", ".", "-", "/", ":" or spaces`);
  return key;
}

export function checkTagValue(key: string, value: string): string {
  if (value.length > MAX_TAG_VALUE) throw new InputError('FALAJ_VALIDATION_FAILED', `tag ${key}: value longer than ${MAX_TAG_VALUE} characters`);
  return value;
}

export function checkTags(tags: Tags | undefined): Tags {
  const entries = Object.entries(tags ?? {});
  if (entries.length > MAX_TAGS) throw new InputError('FALAJ_VALIDATION_FAILED', `at most ${MAX_TAGS} tags`);
  for (const [k, v] of entries) {
    checkTagKey(k);
    if (typeof v !== 'string') throw new InputError('FALAJ_VALIDATION_FAILED', `tag ${k}: values are strings`);
    checkTagValue(k, v);
  }
  return Object.fromEntries(entries);
}

export function checkDescription(description: string | undefined): string {
  const text = description ?? '';
  if (text.length > MAX_DESCRIPTION) throw new InputError('FALAJ_VALIDATION_FAILED', `description longer than ${MAX_DESCRIPTION} characters`);
  return text;
}

/** `runs:/<run_id>/<path>` → its parts (MLflow's model URI for a run's artifacts). */
export function parseRunsUri(source: string): { runId: string; path: string } | undefined {
  const match = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(source);
  if (!match) return undefined;
  return { runId: match[1]!, path: (match[2] ?? '').replace(/\/+$/, '') };
}

/** Opaque paging tokens (an offset today; clients must not rely on that). */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const { o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through to the error below
  }
  throw new InputError('FALAJ_VALIDATION_FAILED', 'invalid page token: pass back the nextPageToken of the previous page');
}
