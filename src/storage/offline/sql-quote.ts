import { InputError } from '../../core/errors/index.js';

/**
 * Quotes an SQL identifier (a column or table name) for DuckDB: wraps it in double quotes
 * and doubles any double quote inside, so a user's column name can never end the
 * identifier early.
 *
 * @example quoteIdent('my "col"') // => "my ""col"""
 */
export function quoteIdent(name: string): string {
  rejectNul(name, 'identifier');
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Quotes a string literal (a path, a timestamp text) for DuckDB: wraps it in single
 * quotes and doubles any single quote inside. DuckDB's standard strings have no backslash
 * escapes, so nothing else needs escaping.
 *
 * @example quoteLiteral("it's") // => 'it''s'
 */
export function quoteLiteral(value: string): string {
  rejectNul(value, 'literal');
  return `'${value.replaceAll("'", "''")}'`;
}

// A NUL byte would truncate the statement in the C API: refuse it rather than guess.
function rejectNul(text: string, what: string): void {
  if (text.includes('\u0000')) throw new InputError('FALAJ_BAD_REQUEST', `SQL ${what} must not contain a NUL character`);
}
