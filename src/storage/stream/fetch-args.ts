import { InputError } from '../../core/errors/index.js';

/** Checks `fetch(max, waitMs)`'s arguments: `max` a whole number ≥ 1, `waitMs` a number ≥ 0. */
export function assertFetchArgs(max: number, waitMs: number): void {
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new InputError('FALAJ_STREAM_CONFIG_INVALID', `stream fetch: max must be a whole number of at least 1, not ${JSON.stringify(max)}.`);
  }
  if (!Number.isFinite(waitMs) || waitMs < 0) {
    throw new InputError('FALAJ_STREAM_CONFIG_INVALID', `stream fetch: waitMs must be a number of milliseconds of at least 0, not ${JSON.stringify(waitMs)}.`);
  }
}
