import type { Row } from '../../storage/offline/index.js';
import type { ColumnProfile, DataProfile } from '../contracts.js';
import { NUMERIC_TYPES, type IngestColumn } from './column-sql.js';

/** The quantiles every numeric column's profile holds (p01 … p99). */
export const PROFILE_QUANTILES: readonly number[] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

/** A quantile's key in `ColumnProfile.quantiles`: 0.01 → `p01`, 0.5 → `p50`, 0.999 → `p99.9`. */
export function quantileKey(q: number): string {
  const percent = Math.round(q * 100 * 1e6) / 1e6;
  return `p${percent < 10 && Number.isInteger(percent) ? '0' : ''}${percent}`;
}

/**
 * The profile of a relation holding the typed columns (by `IngestColumn.alias`), in one
 * query: per column the non-null `count` (so `count + nulls = rows`), `nulls`, min, max,
 * approximate distinct values (HyperLogLog); numeric columns add mean, sample stddev and
 * `quantile_cont` at p01 … p99 plus any quantile a `quantile_shift` asks for. Timestamps'
 * min and max are epoch ms; booleans count as 0/1 (mean = fraction true); strings give
 * min and max by their order.
 */
export function profileSql(columns: readonly IngestColumn[], from: string, extra: ReadonlyMap<string, number[]>): string {
  const select = columns.flatMap((c, i) => {
    const a = c.alias;
    const parts = [`count(${a}) AS n${i}`, `approx_count_distinct(${a}) AS d${i}`];
    if (NUMERIC_TYPES.has(c.type)) {
      parts.push(
        `CAST(min(${a}) AS DOUBLE) AS lo${i}`,
        `CAST(max(${a}) AS DOUBLE) AS hi${i}`,
        `avg(${a}) AS mean${i}`,
        `stddev_samp(${a}) AS sd${i}`,
        `quantile_cont(${a}, [${quantilesOf(c, extra).join(', ')}]) AS q${i}`,
      );
    } else if (c.type === 'timestamp') parts.push(`epoch_ms(min(${a})) AS lo${i}`, `epoch_ms(max(${a})) AS hi${i}`);
    else if (c.type === 'bool') parts.push(`min(CAST(${a} AS INTEGER)) AS lo${i}`, `max(CAST(${a} AS INTEGER)) AS hi${i}`, `avg(CAST(${a} AS INTEGER)) AS mean${i}`);
    else parts.push(`min(${a}) AS lo${i}`, `max(${a}) AS hi${i}`);
    return parts;
  });
  return `SELECT count(*) AS __rows, ${select.join(', ')} FROM ${from}`;
}

/** Reads the one row `profileSql` returns. */
export function readProfile(row: Row, columns: readonly IngestColumn[], extra: ReadonlyMap<string, number[]>): DataProfile {
  const rows = Number(row.__rows);
  return {
    rows,
    columns: columns.map((c, i): ColumnProfile => {
      const count = Number(row[`n${i}`]);
      const list = row[`q${i}`] as (number | null)[] | null | undefined;
      const qs = quantilesOf(c, extra);
      return {
        column: c.name,
        type: c.type,
        count,
        nulls: rows - count,
        min: scalar(row[`lo${i}`]),
        max: scalar(row[`hi${i}`]),
        mean: numberOrNull(row[`mean${i}`]),
        stddev: numberOrNull(row[`sd${i}`]),
        quantiles: Array.isArray(list) && count > 0 ? Object.fromEntries(qs.map((q, k) => [quantileKey(q), Number(list[k])])) : null,
        distinct: Number(row[`d${i}`] ?? 0),
      };
    }),
  };
}

/** The profile of no rows (a rejected batch accepts none). */
export function emptyProfile(columns: readonly IngestColumn[]): DataProfile {
  return {
    rows: 0,
    columns: columns.map((c) => ({ column: c.name, type: c.type, count: 0, nulls: 0, min: null, max: null, mean: null, stddev: null, quantiles: null, distinct: 0 })),
  };
}

function quantilesOf(c: IngestColumn, extra: ReadonlyMap<string, number[]>): number[] {
  return [...new Set([...PROFILE_QUANTILES, ...(extra.get(c.name) ?? [])])].sort((a, b) => a - b);
}

function scalar(value: unknown): number | string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : Number(value);
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
