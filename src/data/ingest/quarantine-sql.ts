import { quoteIdent, quoteLiteral } from '../../storage/offline/index.js';
import type { IngestColumn } from './column-sql.js';
import { flag, typedSelect, type IngestTables } from './ingest-sql.js';
import type { RowRule } from './row-rules.js';

/** The rule that rejected a batch, and what it found. */
export interface Rejection {
  rule: string;
  message: string;
}

/**
 * Writes the quarantined rows to one Parquet file, in input order:
 * - `__row`: the row's number in the input (1-based);
 * - `__rules`: every rule the row failed, in rule order (warnings included), and first, when
 *   the batch was rejected, the rule that rejected it;
 * - `__reason`: the first rule that set the row aside, with its offending value
 *   (`between(fare): -3 is below 0`), or `batch rejected: <rule>: <message>`;
 * - `__value`: that rule's offending value as text;
 * - then every input column as VARCHAR, raw: a value that failed its type is kept as given.
 *
 * A rejected batch quarantines every row; otherwise only the rows set aside.
 */
export function copyQuarantineSql(
  tables: IngestTables,
  columns: readonly IngestColumn[],
  inputColumns: readonly string[],
  rules: readonly RowRule[],
  rejected: Rejection | null,
  file: string,
): string {
  const source = rejected
    ? `(${typedSelect(columns, tables.staged, true)}) LEFT JOIN ${tables.fails} USING (__row)`
    : `(${typedSelect(columns, `${tables.staged} SEMI JOIN (SELECT __row FROM ${tables.fails} WHERE __setaside) AS __falaj_q USING (__row)`, true)}) JOIN ${tables.fails} USING (__row)`;
  // the first failure that explains the row: one that set it aside, else (rejected batch) any
  const setAside = rules.flatMap((r, i) => (r.action === 'warn' ? [] : [i]));
  const order = [...setAside, ...rules.map((_, i) => i).filter((i) => !setAside.includes(i))];
  const first = `CASE ${order.map((i) => `WHEN ${flag(i)} THEN ${i}`).join(' ')} END`;
  const pick = (part: (rule: RowRule) => string): string =>
    `CASE __falaj_first ${rules.map((r, i) => `WHEN ${i} THEN ${part(r)}`).join(' ')} END`;
  const failed = `list_filter([${rules.map((r, i) => `CASE WHEN ${flag(i)} THEN ${quoteLiteral(r.rule)} END`).join(', ')}], lambda x: x IS NOT NULL)`;
  const reason = rejected
    ? quoteLiteral(`batch rejected: ${rejected.rule}: ${rejected.message}`)
    : pick((r) => `${quoteLiteral(`${r.rule}: `)} || COALESCE(${r.reason}, '')`);
  const rulesList = rejected
    ? `list_concat([${quoteLiteral(rejected.rule)}], list_filter(${failed}, lambda x: x <> ${quoteLiteral(rejected.rule)}))`
    : failed;
  const raw = inputColumns.map((name) => `CAST(${quoteIdent(name)} AS VARCHAR) AS ${quoteIdent(name)}`);
  return `COPY (
      WITH judged AS (SELECT *, ${first} AS __falaj_first FROM ${source})
      SELECT __row, ${rulesList} AS __rules, ${reason} AS __reason, ${pick((r) => r.value)} AS __value${raw.map((r) => `, ${r}`).join('')}
      FROM judged ORDER BY __row
    ) TO ${quoteLiteral(file)} (FORMAT parquet)`;
}
