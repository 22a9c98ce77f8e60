import type {
  DuckDBValueConverter,
  JS,
  DuckDBDateValue,
  DuckDBTimestampValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampNanosecondsValue,
} from '@duckdb/node-api';

/** The `@duckdb/node-api` module, loaded on first use (its native library is ~40 MB). */
export type DuckDbApi = typeof import('@duckdb/node-api');

/** A DuckDB value as plain JavaScript: numbers, strings, booleans, arrays, objects, null. */
export type PlainValue = unknown;

/** A result row keyed by column name. */
export type Row = Record<string, PlainValue>;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

function safeNumber(value: bigint): number | bigint {
  return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value;
}

/** `units / perMilli`, floored, so 1 µs before the epoch is -1 ms, not 0. */
function epochMillis(units: bigint, perMilli: bigint, finite: boolean): number {
  if (!finite) return units > 0n ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const q = units / perMilli;
  return Number(units % perMilli < 0n ? q - 1n : q);
}

/**
 * Converts DuckDB values to plain JavaScript: 64/128-bit integers become numbers when
 * they fit exactly (else stay bigint), every timestamp flavour and DATE become epoch
 * milliseconds (UTC; ±Infinity for DuckDB's infinite values), DECIMAL becomes a number;
 * lists, structs and maps recurse through this converter.
 */
export function createPlainValueConverter(api: DuckDbApi): DuckDBValueConverter<PlainValue> {
  const { DuckDBTypeId, JSDuckDBValueConverter } = api;
  const convert: DuckDBValueConverter<PlainValue> = (value, type, converter) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      if (typeof value === 'bigint') return safeNumber(value);
      break;
    case DuckDBTypeId.TIMESTAMP: {
      const v = value as DuckDBTimestampValue;
      return epochMillis(v.micros, 1000n, v.isFinite);
    }
    case DuckDBTypeId.TIMESTAMP_TZ: {
      const v = value as DuckDBTimestampTZValue;
      return epochMillis(v.micros, 1000n, v.isFinite);
    }
    case DuckDBTypeId.TIMESTAMP_MS: {
      const v = value as DuckDBTimestampMillisecondsValue;
      return epochMillis(v.millis, 1n, v.isFinite);
    }
    case DuckDBTypeId.TIMESTAMP_S: {
      const v = value as DuckDBTimestampSecondsValue;
      return epochMillis(v.seconds * 1000n, 1n, v.isFinite);
    }
    case DuckDBTypeId.TIMESTAMP_NS: {
      const v = value as DuckDBTimestampNanosecondsValue;
      return epochMillis(v.nanos, 1_000_000n, v.isFinite);
    }
    case DuckDBTypeId.DATE: {
      const v = value as DuckDBDateValue;
      return v.isFinite ? v.days * 86_400_000 : v.days > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    }
  }
  // DECIMAL → number, VARCHAR, BOOLEAN, BLOB, LIST, STRUCT, ... as the library's plain-JS
  // form, recursing through this converter so nested timestamps and bigints match.
  return JSDuckDBValueConverter(value, type, converter as unknown as DuckDBValueConverter<JS>);
};
  return convert;
}
