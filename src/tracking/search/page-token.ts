import { createHash } from 'node:crypto';
import { InputError } from '../../core/errors/index.js';

/**
 * Opaque page tokens: the offset of the next page and a fingerprint of the search it
 * belongs to, so a token handed to another search is refused rather than silently
 * skipping rows. Offsets (as MLflow's own tokens) suit any ordering, metric ones with
 * missing values included; the order always ends with the run id, so with no writes in
 * between, pages cover every match exactly once.
 */
export function fingerprint(search: unknown): string {
  return createHash('sha256').update(JSON.stringify(search)).digest('base64url').slice(0, 16);
}

export function encodePageToken(offset: number, print: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: print })).toString('base64url');
}

export function decodePageToken(token: string | undefined, print: string): number {
  if (token === undefined || token === '') return 0;
  let parsed: { o?: unknown; f?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw new InputError('FALAJ_VALIDATION_FAILED', 'the page token is not valid: pass the nextPageToken of the previous page as it was given');
  }
  if (typeof parsed.o !== 'number' || !Number.isSafeInteger(parsed.o) || parsed.o < 0) {
    throw new InputError('FALAJ_VALIDATION_FAILED', 'the page token is not valid: pass the nextPageToken of the previous page as it was given');
  }
  if (parsed.f !== print) {
    throw new InputError('FALAJ_VALIDATION_FAILED', 'the page token belongs to another search: keep the filter, order and experiments of the first page');
  }
  return parsed.o;
}
