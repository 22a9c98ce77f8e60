import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { MetadataDialect } from '../../storage/metadata/index.js';
import { filterError, type ComparisonOperator, type FilterValue } from './search-filter.js';

/** Where a comparison came from, for errors that point into the filter text. */
export interface Origin {
  text: string;
  /** how the identifier is called in messages, e.g. `params.lr` */
  name: string;
  opPosition: number;
  value: FilterValue;
}

const STRING_OPERATORS = new Set<ComparisonOperator>(['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']);
const NUMBER_OPERATORS = new Set<ComparisonOperator>(['=', '!=', '<', '<=', '>', '>=']);

/**
 * `column <op> value` for text: = != LIKE ILIKE IN / NOT IN, the same meaning on both
 * engines. LIKE is case-sensitive and ILIKE is not, `%` and `_` are wildcards and `\`
 * escapes. SQLite's own LIKE ignores ASCII case, so there LIKE becomes GLOB (always
 * case-sensitive) with the pattern translated; ILIKE becomes `lower() LIKE lower()`
 * (ASCII case folding only, as SQLite's lower() folds ASCII only).
 */
export function compareText(dialect: MetadataDialect, column: Expression<unknown>, op: ComparisonOperator, origin: Origin): RawBuilder<SqlBool> {
  const { value } = origin;
  if (!STRING_OPERATORS.has(op)) {
    throw filterError(origin.text, origin.opPosition, `${origin.name} compares as text: use =, !=, like, ilike, in or not in, not "${op.toLowerCase()}"`);
  }
  if (op === 'IN' || op === 'NOT IN') {
    if (value.kind !== 'list') throw filterError(origin.text, value.position, `expected a list such as ('a', 'b') after ${op.toLowerCase()}`);
    const list = sql.join(value.values.map((v) => sql.val(v)));
    return op === 'IN' ? sql<SqlBool>`${column} in (${list})` : sql<SqlBool>`${column} not in (${list})`;
  }
  if (value.kind !== 'string') {
    throw filterError(origin.text, value.position, `${origin.name} is text: quote the value, e.g. ${origin.name} ${op.toLowerCase()} '${value.kind === 'number' ? value.value : 'x'}'`);
  }
  const v = value.value;
  switch (op) {
    case '=':
      return sql<SqlBool>`${column} = ${v}`;
    case '!=':
      return sql<SqlBool>`${column} <> ${v}`;
    case 'LIKE':
      return dialect === 'sqlite' ? sql<SqlBool>`${column} glob ${likeToGlob(v)}` : sql<SqlBool>`${column} like ${v}`;
    default: // ILIKE
      return dialect === 'sqlite' ? sql<SqlBool>`lower(${column}) like lower(${v}) escape '\\'` : sql<SqlBool>`${column} ilike ${v}`;
  }
}

/** `column <op> number` for = != < <= > >=. */
export function compareNumber(column: Expression<unknown>, op: ComparisonOperator, origin: Origin, options: { integer?: boolean } = {}): RawBuilder<SqlBool> {
  const { value } = origin;
  if (!NUMBER_OPERATORS.has(op)) {
    throw filterError(origin.text, origin.opPosition, `${origin.name} compares as a number: use =, !=, <, <=, > or >=, not "${op.toLowerCase()}"`);
  }
  if (value.kind !== 'number') throw filterError(origin.text, value.position, `${origin.name} is a number: compare it with a number, not a quoted string`);
  if (options.integer && !Number.isSafeInteger(value.value)) {
    throw filterError(origin.text, value.position, `${origin.name} is in whole milliseconds since the epoch: ${value.value} is not an integer`);
  }
  return sql<SqlBool>`${column} ${sql.raw(op === '!=' ? '<>' : op)} ${value.value}`;
}

/** A LIKE pattern (`%`, `_`, `\` escape) as the equivalent SQLite GLOB pattern. */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) out += globLiteral(pattern[++i]!);
    else if (c === '%') out += '*';
    else if (c === '_') out += '?';
    else out += globLiteral(c);
  }
  return out;
}

const globLiteral = (c: string) => (c === '*' || c === '?' || c === '[' ? `[${c}]` : c);

/**
 * Text ordered by code point on both engines: SQLite compares bytes (UTF-8 keeps code
 * point order), PostgreSQL would use the database's locale unless told `C`.
 */
export function byCodePoint(dialect: MetadataDialect, column: Expression<unknown>): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`${column} collate "C"` : sql<string>`${column}`;
}
