import { parseDuration } from '../../core/duration.js';
import type { ColumnType, Expectation, SourceContract } from '../contracts.js';
import { NUMERIC_TYPES } from './column-sql.js';
import { expectationName, isRowExpectation } from './expectation-rules.js';

const TYPES = new Set<string>(['int32', 'int64', 'float32', 'float64', 'string', 'bool', 'timestamp']);
const ACTIONS = new Set<string>(['warn', 'quarantine', 'reject']);
const EXPECTS = new Set<string>(['not_null', 'unique', 'between', 'in_set', 'regex', 'max_null_fraction', 'row_count_between', 'freshness', 'mean_shift', 'quantile_shift']);
/** Names the ingestion adds to its rows and files; a contract column may not take them. */
const RESERVED = new Set(['__row', '__rules', '__reason', '__value', '__date']);
/** RE2 (DuckDB's regex engine) has no lookaround and no backreferences. */
const RE2_UNSUPPORTED = /\(\?<?[=!]|\\[1-9]/;

/**
 * The problems of a contract itself, found without any data: unknown columns or types,
 * a regex that does not compile, `min > max`, a value that is not of its column's type,
 * `quarantine` on a batch-level rule… Empty when the contract is sound. Used when a
 * source is applied, and by `ingestBatch` before it reads a row.
 *
 * @example checkExpectations({ schema: { fare: 'float64', at: 'timestamp' }, timestampField: 'at', required: ['city'], allowedValues: {}, expectations: [] })
 * // => ['required column city is not in the schema']
 */
export function checkExpectations(contract: SourceContract): string[] {
  const problems: string[] = [];
  const types = new Map<string, ColumnType>(Object.entries(contract.schema ?? {}));
  for (const [name, type] of types) {
    if (!TYPES.has(type)) problems.push(`column ${name} has unknown type ${String(type)}: use one of ${[...TYPES].join(', ')}`);
    if (RESERVED.has(name)) problems.push(`column name ${name} is reserved for ingestion bookkeeping: rename the column`);
  }
  const ts = contract.timestampField;
  if (!ts) problems.push('the contract names no timestampField');
  else if (types.has(ts) && types.get(ts) !== 'timestamp') problems.push(`timestampField ${ts} has type ${types.get(ts)}: it must be timestamp`);
  if (ts && !types.has(ts)) types.set(ts, 'timestamp');
  const known = (column: string, where: string): ColumnType | undefined => {
    const type = types.get(column);
    if (type === undefined) problems.push(`${where} names column ${column}, which is not in the schema`);
    return type;
  };
  for (const column of contract.required ?? []) known(column, 'required');
  for (const [column, values] of Object.entries(contract.allowedValues ?? {})) {
    const type = known(column, `allowedValues`);
    if (type) problems.push(...valueProblems(`allowedValues of ${column}`, type, values));
  }
  for (const e of contract.expectations ?? []) problems.push(...expectationProblems(e, known));
  return problems;
}

function expectationProblems(e: Expectation, known: (column: string, where: string) => ColumnType | undefined): string[] {
  if (!EXPECTS.has(e?.expect)) return [`unknown expectation ${String(e?.expect)}: use one of ${[...EXPECTS].join(', ')}`];
  const name = expectationName(e);
  const problems: string[] = [];
  if (e.onFailure !== undefined && !ACTIONS.has(e.onFailure)) problems.push(`${name}: onFailure must be warn, quarantine or reject, not ${String(e.onFailure)}`);
  if (e.onFailure === 'quarantine' && !isRowExpectation(e)) problems.push(`${name}: a batch-level expectation cannot quarantine rows: use warn or reject`);
  const numeric = (column: string): void => {
    const type = known(column, name);
    if (type && !NUMERIC_TYPES.has(type)) problems.push(`${name}: column ${column} is ${type}, not a number`);
  };
  const finite = (label: string, value: number | undefined): void => {
    if (value !== undefined && !Number.isFinite(value)) problems.push(`${name}: ${label} must be a finite number`);
  };
  const range = (min: number | undefined, max: number | undefined): void => {
    finite('min', min);
    finite('max', max);
    if (min !== undefined && max !== undefined && min > max) problems.push(`${name}: min ${min} is greater than max ${max}`);
  };
  switch (e.expect) {
    case 'not_null':
      known(e.column, name);
      break;
    case 'unique':
      if (!Array.isArray(e.columns) || e.columns.length === 0) problems.push(`${name}: name at least one column`);
      else for (const column of e.columns) known(column, name);
      break;
    case 'between':
      numeric(e.column);
      if (e.min === undefined && e.max === undefined) problems.push(`${name}: give min, max or both`);
      range(e.min, e.max);
      break;
    case 'in_set': {
      const type = known(e.column, name);
      if (type) problems.push(...valueProblems(name, type, e.values));
      break;
    }
    case 'regex':
      known(e.column, name);
      problems.push(...regexProblems(name, e.pattern));
      break;
    case 'max_null_fraction':
      known(e.column, name);
      if (!(e.max >= 0 && e.max <= 1)) problems.push(`${name}: max must be a fraction between 0 and 1`);
      break;
    case 'row_count_between':
      if (e.min === undefined && e.max === undefined) problems.push(`${name}: give min, max or both`);
      range(e.min, e.max);
      break;
    case 'freshness':
      try {
        parseDuration(e.maxAge);
      } catch {
        problems.push(`${name}: maxAge ${String(e.maxAge)} is not a duration: use e.g. 30m, 6h, 1d`);
      }
      break;
    case 'mean_shift':
    case 'quantile_shift':
      numeric(e.column);
      if (!(e.maxRelative >= 0) || !Number.isFinite(e.maxRelative)) problems.push(`${name}: maxRelative must be a finite number ≥ 0 (0.1 = 10 %)`);
      if (e.expect === 'quantile_shift' && !(e.quantile >= 0 && e.quantile <= 1)) problems.push(`${name}: quantile must be between 0 and 1 (0.5 = median)`);
      break;
  }
  return problems;
}

function valueProblems(where: string, type: ColumnType, values: unknown): string[] {
  if (!Array.isArray(values) || values.length === 0) return [`${where}: list at least one value`];
  if (type === 'timestamp') return [`${where}: a list of allowed values is not supported on a timestamp column`];
  const bad = values.filter((v) => !fits(v, type));
  return bad.length === 0 ? [] : [`${where}: ${bad.map((v) => JSON.stringify(v)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ${type}`];
}

function fits(value: unknown, type: ColumnType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'int32':
      return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
    case 'int64':
      return Number.isSafeInteger(value);
    default:
      return typeof value === 'number' && Number.isFinite(value);
  }
}

function regexProblems(name: string, pattern: unknown): string[] {
  if (typeof pattern !== 'string' || pattern === '') return [`${name}: give a pattern`];
  if (RE2_UNSUPPORTED.test(pattern)) return [`${name}: lookaround and backreferences are not supported (RE2 syntax)`];
  try {
    new RegExp(pattern);
    return [];
  } catch (err) {
    return [`${name}: the pattern does not compile: ${(err as Error).message}`];
  }
}
