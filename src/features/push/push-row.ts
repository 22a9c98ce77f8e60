import type { ValueType } from '../definitions/spec.schema.js';

/** A pushed row after validation: values typed, the event time in epoch ms. */
export interface ValidRow {
  values: Record<string, unknown>;
  eventTs: number;
  createdTs?: number | undefined;
}

/** Parses a timestamp given as epoch milliseconds or an ISO-8601 / `YYYY-MM-DD hh:mm:ss` string (UTC unless zoned). */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value !== 'string' || value.length < 10) return undefined;
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

const INT32 = 2 ** 31;

/** Why a value does not fit a type, or undefined when it does. */
function typeProblem(value: unknown, type: ValueType): string | undefined {
  switch (type) {
    case 'int32':
      return Number.isInteger(value) && Math.abs(value as number) < INT32 ? undefined : 'an int32';
    case 'int64':
      return Number.isSafeInteger(value) ? undefined : 'an integer';
    case 'float32':
    case 'float64':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'a number';
    case 'string':
      return typeof value === 'string' ? undefined : 'a string';
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'timestamp':
      return parseTimestamp(value) !== undefined ? undefined : 'a timestamp (ISO-8601 or epoch ms)';
  }
}

/**
 * Checks one row against a push source's schema. Key and time columns must be present
 * and non-null; feature columns may be null. Columns outside the schema are ignored.
 */
export function validateRow(
  row: Record<string, unknown>,
  schema: Record<string, ValueType>,
  required: readonly string[],
  timestampField: string,
  createdTimestampField: string | undefined,
): { row: ValidRow } | { reason: string } {
  const values: Record<string, unknown> = {};
  for (const [column, type] of Object.entries(schema)) {
    const value = row[column];
    if (value === undefined || value === null) {
      if (required.includes(column)) return { reason: `column ${column} is missing or null` };
      values[column] = null;
      continue;
    }
    const problem = typeProblem(value, type);
    if (problem) return { reason: `column ${column} must be ${problem} (got ${JSON.stringify(value)})` };
    values[column] = type === 'timestamp' ? new Date(parseTimestamp(value)!).toISOString() : value;
  }
  const eventTs = parseTimestamp(row[timestampField])!;
  const createdTs = createdTimestampField ? parseTimestamp(row[createdTimestampField]) : undefined;
  return { row: { values, eventTs, createdTs } };
}
