import { duckDbType, quoteIdent, quoteLiteral } from '../../storage/offline/index.js';
import type { ColumnType, SourceContract } from '../contracts.js';

/**
 * One column of a contract as the ingestion SQL sees it: the raw input column (as DuckDB
 * read it) and the expression that types it to the contract's type.
 */
export interface IngestColumn {
  name: string;
  type: ColumnType;
  /** DuckDB's type of the raw input column; null when the input lacks the column */
  inputType: string | null;
  /** the raw column (quoted identifier), or a typed NULL when the input lacks it */
  raw: string;
  /** the raw value as text, as given (NULL stays NULL) */
  rawText: string;
  /** the value with the contract's type; NULL when the raw value does not convert */
  typed: string;
  /** the alias the typed value takes inside the ingestion queries */
  alias: string;
}

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);
const FRACTIONAL = /^(FLOAT|DOUBLE|DECIMAL)/;
const TEMPORAL = /^(TIMESTAMP|DATE)/;

/** Column types that hold numbers (between, mean_shift and quantile_shift apply to them). */
export const NUMERIC_TYPES: ReadonlySet<ColumnType> = new Set(['int32', 'int64', 'float32', 'float64']);

/**
 * The contract's columns (the schema, plus the timestamp field as `timestamp` when the
 * schema leaves it out), matched against the input's columns by name.
 */
export function contractColumns(contract: SourceContract, inputTypes: ReadonlyMap<string, string>): IngestColumn[] {
  const types = new Map<string, ColumnType>(Object.entries(contract.schema));
  if (!types.has(contract.timestampField)) types.set(contract.timestampField, 'timestamp');
  return [...types].map(([name, type], i) => {
    const inputType = inputTypes.get(name) ?? null;
    const target = duckDbType(type);
    const raw = inputType === null ? `CAST(NULL AS ${target})` : quoteIdent(name);
    return {
      name,
      type,
      inputType,
      raw,
      rawText: inputType === 'VARCHAR' ? raw : `CAST(${raw} AS VARCHAR)`,
      typed: inputType === null ? raw : typedSql(raw, inputType, type),
      alias: `__falaj_t${i}`,
    };
  });
}

/**
 * How a raw value becomes the contract's type, by what the input holds:
 * - a timestamp from text honours an offset (`Z`, `+02:00`; none means UTC); text of digits
 *   only, and any number, is read as epoch milliseconds; DATE and every TIMESTAMP flavour cast;
 * - an integer from text or a fraction must be whole: `3.7` fails `int32` rather than round;
 * - anything else is `TRY_CAST`, NULL when it does not convert.
 */
export function typedSql(raw: string, inputType: string, type: ColumnType): string {
  const target = duckDbType(type);
  if (inputType === target) return raw;
  if (type === 'timestamp') {
    if (inputType === 'VARCHAR') {
      const epoch = `CASE WHEN regexp_full_match(${raw}, '\\s*-?\\d+\\s*') THEN TRY(epoch_ms(TRY_CAST(${raw} AS BIGINT))) END`;
      return `COALESCE(TRY_CAST(TRY_CAST(${raw} AS TIMESTAMPTZ) AS TIMESTAMP), ${epoch})`;
    }
    if (INTEGER_TYPES.has(inputType) || FRACTIONAL.test(inputType)) return `TRY(epoch_ms(TRY_CAST(${raw} AS BIGINT)))`;
    if (TEMPORAL.test(inputType)) return `TRY_CAST(${raw} AS TIMESTAMP)`;
  }
  if (type === 'int32' || type === 'int64') {
    // DuckDB rounds 3.7 to 4 when casting to an integer; a fraction is not an integer
    if (inputType === 'VARCHAR') return `CASE WHEN trunc(TRY_CAST(${raw} AS DOUBLE)) = TRY_CAST(${raw} AS DOUBLE) THEN TRY_CAST(${raw} AS ${target}) END`;
    if (FRACTIONAL.test(inputType)) return `CASE WHEN trunc(${raw}) = ${raw} THEN TRY_CAST(${raw} AS ${target}) END`;
  }
  return `TRY_CAST(${raw} AS ${target})`;
}

/** A value from a contract (allowed values, in_set) as an SQL constant of the column's type. */
export function literalSql(value: string | number | boolean, type: ColumnType): string {
  const constant = typeof value === 'boolean' ? (value ? 'TRUE' : 'FALSE') : typeof value === 'number' ? String(value) : quoteLiteral(value);
  return `CAST(${constant} AS ${duckDbType(type)})`;
}

/** A finite number from a contract (between bounds) as SQL text: `-3`, `1.5`, `1e+21`. */
export function numberSql(value: number): string {
  return String(value);
}
