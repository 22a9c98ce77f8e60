import { InputError } from '../../core/errors/index.js';

/**
 * SQL fragments for time in the offline store. Every timestamp is compared as DuckDB
 * `TIMESTAMP` (microseconds, UTC wall time); the engine pins the session time zone to UTC.
 */

/**
 * Normalises an expression of type TIMESTAMP (any precision), TIMESTAMPTZ, DATE or an
 * ISO-8601 string to `TIMESTAMP` in UTC. `typeof(x)` is folded to a constant when the
 * query is bound, so a column that is already a TIMESTAMP costs nothing; a string goes
 * through TIMESTAMPTZ so that its offset (`Z`, `+04:00`) is honoured, while a string with
 * no offset is read as UTC.
 */
export function timestampSql(expr: string): string {
  return (
    `(CASE WHEN typeof(${expr}) IN ('VARCHAR', 'TIMESTAMP WITH TIME ZONE') ` +
    `THEN CAST(CAST(${expr} AS TIMESTAMPTZ) AS TIMESTAMP) ELSE CAST(${expr} AS TIMESTAMP) END)`
  );
}

/** An instant (epoch milliseconds or a Date) as a TIMESTAMP literal expression. */
export function timestampLiteral(at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  if (!Number.isFinite(ms)) throw new InputError('FALAJ_BAD_REQUEST', `${String(at)} is not a valid instant: give a date or epoch milliseconds`);
  return `make_timestamp(${BigInt(Math.trunc(ms)) * 1000n})`;
}

/** An interval of whole microseconds, e.g. a window less 1 µs for an open lower bound. */
export function intervalMicrosSql(micros: number | bigint): string {
  return `INTERVAL (${BigInt(micros)}) MICROSECONDS`;
}

/** An interval of `ms` milliseconds, exactly. */
export function intervalMillisSql(ms: number): string {
  return intervalMicrosSql(BigInt(Math.trunc(ms)) * 1000n);
}
