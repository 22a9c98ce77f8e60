import { parseDuration } from '../../core/duration.js';
import type { ColumnProfile, DataProfile, ExpectationResult } from '../contracts.js';
import { actionOf, type BatchExpectation } from './expectation-rules.js';
import { quantileKey } from './profile.js';

/**
 * Judges one batch-level expectation on the profile of the rows that would be accepted;
 * `mean_shift` and `quantile_shift` compare with the reference profile (the source's
 * newest accepted one) and pass, saying why, when there is none to compare with.
 */
export function batchResult(e: BatchExpectation, rule: string, profile: DataProfile, reference: DataProfile | null, now: Date, timestampField: string): ExpectationResult {
  const result = (passed: boolean, observed: number | string | null, message: string): ExpectationResult => ({
    rule, scope: 'batch', action: actionOf(e), passed, observed, message,
  });
  switch (e.expect) {
    case 'max_null_fraction': {
      const c = columnOf(profile, e.column);
      if (profile.rows === 0 || !c) return result(true, null, 'no rows to judge');
      const fraction = c.nulls / profile.rows;
      const text = `${percent(fraction)} of ${profile.rows} rows are null`;
      return fraction <= e.max ? result(true, fraction, text) : result(false, fraction, `${text}, more than ${percent(e.max)}`);
    }
    case 'row_count_between': {
      const n = profile.rows;
      if (e.min !== undefined && n < e.min) return result(false, n, `${n} rows, fewer than ${e.min}`);
      if (e.max !== undefined && n > e.max) return result(false, n, `${n} rows, more than ${e.max}`);
      return result(true, n, `${n} rows`);
    }
    case 'freshness': {
      const newest = columnOf(profile, timestampField)?.max;
      if (typeof newest !== 'number') return result(false, null, `no accepted row has a ${timestampField}`);
      const age = now.getTime() - newest;
      const text = `the newest ${timestampField} is ${new Date(newest).toISOString()}, ${age < 0 ? 'in the future' : `${formatAge(age)} old`}`;
      const limit = parseDuration(e.maxAge);
      return age <= limit ? result(true, age, text) : result(false, age, `${text}, older than ${e.maxAge}`);
    }
    case 'mean_shift':
    case 'quantile_shift': {
      const what = e.expect === 'mean_shift' ? 'mean' : `p${Math.round(e.quantile * 1000) / 10}`;
      const pick = (c: ColumnProfile | undefined): number | null | undefined =>
        e.expect === 'mean_shift' ? c?.mean : c?.quantiles?.[quantileKey(e.quantile)];
      if (!reference) return result(true, null, 'skipped: no reference profile yet (the first accepted batch becomes the reference)');
      const before = pick(columnOf(reference, e.column));
      if (typeof before !== 'number') return result(true, null, `skipped: the reference profile has no ${what} of ${e.column}`);
      const after = pick(columnOf(profile, e.column));
      if (typeof after !== 'number') return result(true, null, `skipped: no values of ${e.column} in this batch`);
      const shift = relativeShift(before, after);
      const text = `${what} of ${e.column} moved from ${round(before)} to ${round(after)} (${percent(shift)})`;
      return shift <= e.maxRelative ? result(true, after, text) : result(false, after, `${text}, more than ${percent(e.maxRelative)}`);
    }
  }
}

/** |after − before| / |before|; from 0, any move is an infinite shift. */
export function relativeShift(before: number, after: number): number {
  if (before === after) return 0;
  return before === 0 ? Number.POSITIVE_INFINITY : Math.abs(after - before) / Math.abs(before);
}

function columnOf(profile: DataProfile, column: string): ColumnProfile | undefined {
  return profile.columns.find((c) => c.column === column);
}

function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${round(fraction * 100)} %` : 'infinite';
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function formatAge(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms >= size) return `${round(ms / size)}${unit}`;
  return `${round(ms / 1000)}s`;
}
