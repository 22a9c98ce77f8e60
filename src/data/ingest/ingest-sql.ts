import { quoteIdent, quoteLiteral } from '../../storage/offline/index.js';
import type { IngestColumn } from './column-sql.js';
import type { RowRule } from './row-rules.js';

/**
 * The SQL of one ingestion. Two tables hold its state: `staged` (every input row once,
 * numbered `__row`) and `fails` (only the rows that failed a row rule: one boolean
 * `__falaj_f<i>` per rule, the first row of each unique rule's key, and `__setaside` when a
 * failed rule quarantines or rejects). Every other step reads those two.
 */
export interface IngestTables {
  staged: string;
  fails: string;
}

/** The flag column of rule `i` in the `fails` table. */
export const flag = (i: number): string => `__falaj_f${i}`;

/** Copies the input once, numbering rows; JSON-typed columns (mixed JSON values) become their text. */
export function loadSql(tables: IngestTables, relation: string, input: readonly { name: string; type: string }[]): string {
  const columns = input.map(({ name, type }) =>
    type === 'JSON' ? `json_extract_string(${quoteIdent(name)}, '$') AS ${quoteIdent(name)}` : quoteIdent(name),
  );
  // row_number() OVER () numbers rows in the order the relation yields them (DuckDB keeps insertion order)
  return `CREATE TABLE ${tables.staged} AS SELECT row_number() OVER () AS __row, ${columns.join(', ')} FROM ${relation}`;
}

/** `SELECT __row, <raw columns>, <typed values> FROM <from>`: what rules read. */
export function typedSelect(columns: readonly IngestColumn[], from: string, allInput = false): string {
  const raws = allInput ? ['*'] : ['__row', ...columns.filter((c) => c.inputType !== null).map((c) => c.raw)];
  return `SELECT ${[...raws, ...columns.map((c) => `${c.typed} AS ${c.alias}`)].join(', ')} FROM ${from}`;
}

/**
 * Builds the `fails` table in one pass over every row. A unique rule first groups the
 * rows by key (a hash aggregate, much cheaper than a window over every column) and keeps
 * the keys seen more than once with their first `__row`; rows join to those few groups.
 */
export function failsSql(tables: IngestTables, columns: readonly IngestColumn[], rules: readonly RowRule[]): string {
  const groups = rules.flatMap((r) => (r.duplicates ? [r.duplicates] : []));
  const ctes = groups.map(({ alias, keys }) => {
    const select = keys.map((k, j) => `${k.typed} AS __falaj_k${j}`);
    const where = keys.map((k) => `(${k.typed}) IS NOT NULL`).join(' AND ');
    return `${alias}_g AS (SELECT ${select.join(', ')}, min(__row) AS ${alias} FROM ${tables.staged} WHERE ${where} GROUP BY ALL HAVING count(*) > 1)`;
  });
  const joins = groups.map(({ alias, keys }) => ` LEFT JOIN ${alias}_g ON ${keys.map((k, j) => `typed.${k.alias} = ${alias}_g.__falaj_k${j}`).join(' AND ')}`);
  const flags = rules.map((r, i) => `COALESCE(${r.fails}, FALSE) AS ${flag(i)}`);
  const setAside = rules.flatMap((r, i) => (r.action === 'warn' ? [] : [flag(i)]));
  return `CREATE TABLE ${tables.fails} AS
    WITH typed AS (${typedSelect(columns, tables.staged)}),
    ${ctes.map((c) => `${c},`).join('\n    ')}
    flagged AS (SELECT ${['__row', ...groups.map((g) => `${g.alias}_g.${g.alias}`), ...flags].join(', ')} FROM typed${joins.join('')})
    SELECT *, ${setAside.length > 0 ? setAside.join(' OR ') : 'FALSE'} AS __setaside
    FROM flagged WHERE ${rules.map((_, i) => flag(i)).join(' OR ')}`;
}

/** Per rule: rows failed (`c<i>`) and the first failing row (`r<i>`); and rows set aside. */
export function countsSql(tables: IngestTables, rules: readonly RowRule[]): string {
  const parts = rules.flatMap((_, i) => [`count_if(${flag(i)}) AS c${i}`, `min(__row) FILTER (WHERE ${flag(i)}) AS r${i}`]);
  return `SELECT count_if(__setaside) AS __setaside, ${parts.join(', ')} FROM ${tables.fails}`;
}

/** The reason each failing rule gives for its first failing row (`e<i>`), for the results' messages. */
export function examplesSql(tables: IngestTables, columns: readonly IngestColumn[], rules: readonly RowRule[], firstRows: ReadonlyMap<number, number>): string {
  const rows = [...new Set(firstRows.values())];
  const picks = [...firstRows].map(([i, row]) => `max(CASE WHEN __row = ${row} THEN ${rules[i]!.reason} END) AS e${i}`);
  return `WITH typed AS (${typedSelect(columns, `${tables.staged} WHERE __row IN (${rows.join(', ')})`)})
    SELECT ${picks.join(', ')} FROM typed JOIN ${tables.fails} USING (__row)`;
}

/** The typed columns of the rows not set aside, by alias (what the profile reads). */
export function acceptedTyped(tables: IngestTables, columns: readonly IngestColumn[]): string {
  return `(${typedSelect(columns, acceptedRows(tables))})`;
}

/**
 * Writes the accepted rows with the contract's types, partitioned by the event date, as
 * the push appender lays them out: `<dir>/__date=YYYY-MM-DD/part-<uuid>.parquet`.
 */
export function copyAcceptedSql(tables: IngestTables, columns: readonly IngestColumn[], timestampField: string, dir: string): string {
  const ts = columns.find((c) => c.name === timestampField)!;
  const select = [...columns.map((c) => `${c.typed} AS ${quoteIdent(c.name)}`), `strftime(${ts.typed}, '%Y-%m-%d') AS __date`];
  return `COPY (SELECT ${select.join(', ')} FROM ${acceptedRows(tables)})
    TO ${quoteLiteral(dir)} (FORMAT parquet, PARTITION_BY (__date), FILENAME_PATTERN 'part-{uuid}')`;
}

function acceptedRows(tables: IngestTables): string {
  return `${tables.staged} ANTI JOIN (SELECT __row FROM ${tables.fails} WHERE __setaside) AS __falaj_q USING (__row)`;
}
