import { validateRow, type ValidRow } from '../../features/push/push-row.js';
import type { PushSource } from '../../features/index.js';
import type { Expectation } from '../contracts.js';

/** A compiled check of one message against its source's contract. */
export type RowCheck = (row: Record<string, unknown>) => { row: ValidRow } | { reason: string };

/**
 * The source's contract as a per-message check, for streams: types and required columns
 * (as pushes are checked), allowed values, and the row-level expectations `not_null`,
 * `between`, `in_set` and `regex`. A stream has no batch, so `unique` and the batch-level
 * expectations are not checked here (batch ingestion checks them). Every failure is a
 * dead letter, whatever its `onFailure` says, except `warn`, which lets the row through.
 */
export function rowCheck(source: PushSource, keyColumns: readonly string[]): RowCheck {
  const required = [...new Set([source.timestampField, ...keyColumns, ...source.required])];
  const checks = [
    ...Object.entries(source.allowedValues).map(([column, values]) => inSet(`allowed(${column})`, column, values)),
    ...source.expectations.filter((e) => e.onFailure !== 'warn').flatMap(compile),
  ];
  return (raw) => {
    const checked = validateRow(raw, source.schema, required, source.timestampField, source.createdTimestampField);
    if ('reason' in checked) return checked;
    for (const check of checks) {
      const reason = check(checked.row.values);
      if (reason) return { reason };
    }
    return checked;
  };
}

type ValueCheck = (values: Record<string, unknown>) => string | undefined;

function compile(e: Expectation): ValueCheck[] {
  switch (e.expect) {
    case 'not_null':
      return [(v) => (v[e.column] === null || v[e.column] === undefined ? `not_null(${e.column}): the value is null` : undefined)];
    case 'between':
      return [
        (v) => {
          const x = v[e.column];
          if (x === null || x === undefined) return undefined;
          if (typeof x !== 'number') return `between(${e.column}): ${JSON.stringify(x)} is not a number`;
          if (e.min !== undefined && x < e.min) return `between(${e.column}): ${x} is below ${e.min}`;
          if (e.max !== undefined && x > e.max) return `between(${e.column}): ${x} is above ${e.max}`;
          return undefined;
        },
      ];
    case 'in_set':
      return [inSet(`in_set(${e.column})`, e.column, e.values)];
    case 'regex': {
      const pattern = new RegExp(`^(?:${e.pattern})$`, 'u');
      return [(v) => (v[e.column] === null || v[e.column] === undefined || pattern.test(String(v[e.column])) ? undefined : `regex(${e.column}): ${JSON.stringify(v[e.column])} does not match ${e.pattern}`)];
    }
    default:
      return [];
  }
}

function inSet(rule: string, column: string, values: readonly (string | number | boolean)[]): ValueCheck {
  const allowed = new Set<unknown>(values);
  return (v) => (v[column] === null || v[column] === undefined || allowed.has(v[column]) ? undefined : `${rule}: ${JSON.stringify(v[column])} is not one of the allowed values`);
}
