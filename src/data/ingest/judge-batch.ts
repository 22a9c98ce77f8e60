import { InputError } from '../../core/errors/index.js';
import type { DuckDbEngine } from '../../storage/offline/index.js';
import type { DataProfile, ExpectationResult, SourceContract } from '../contracts.js';
import { batchResult } from './batch-rules.js';
import { contractColumns, type IngestColumn } from './column-sql.js';
import { expectationNames, isRowExpectation, type BatchExpectation } from './expectation-rules.js';
import { acceptedTyped, countsSql, examplesSql, failsSql, loadSql, type IngestTables } from './ingest-sql.js';
import { profileSql, readProfile } from './profile.js';
import type { Rejection } from './quarantine-sql.js';
import { rowRules, type RowRule } from './row-rules.js';

/** What validation found, before anything is written. */
export interface Judgement {
  columns: IngestColumn[];
  /** the input's columns, in order (the quarantine file keeps them all) */
  inputColumns: string[];
  rules: RowRule[];
  received: number;
  /** rows a quarantine (or reject) rule set aside */
  setAside: number;
  results: ExpectationResult[];
  /** the profile of the rows not set aside */
  profile: DataProfile;
  rejection: Rejection | null;
}

/**
 * Loads the input into `tables.staged`, judges every row in one pass into `tables.fails`,
 * then profiles the rows not set aside and judges the batch-level expectations on that
 * profile. Five queries whatever the size; only aggregates come back to JavaScript.
 */
export async function judgeBatch(engine: DuckDbEngine, tables: IngestTables, relation: string, contract: SourceContract, reference: DataProfile | null, now: Date): Promise<Judgement> {
  const described = await engine.query(`DESCRIBE SELECT * FROM ${relation}`);
  const input = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  if (input.some((c) => c.name === '__row')) throw new InputError('FALAJ_BAD_REQUEST', 'the input has a column named __row, which ingestion uses to number rows: rename it');
  await engine.query(loadSql(tables, relation, input));
  const columns = contractColumns(contract, new Map(input.map((c) => [c.name, c.type === 'JSON' ? 'VARCHAR' : c.type])));
  const rules = rowRules(contract, columns);
  await engine.query(failsSql(tables, columns, rules));
  const [counts] = await engine.query(`SELECT (SELECT count(*) FROM ${tables.staged}) AS __received, * FROM (${countsSql(tables, rules)})`);
  const received = Number(counts!.__received);
  const failed = rules.map((_, i) => Number(counts![`c${i}`]));
  const firstRows = new Map<number, number>();
  failed.forEach((n, i) => n > 0 && firstRows.set(i, Number(counts![`r${i}`])));
  const examples = firstRows.size > 0 ? (await engine.query(examplesSql(tables, columns, rules, firstRows)))[0]! : {};

  const extra = extraQuantiles(contract);
  const [profiled] = await engine.query(profileSql(columns, acceptedTyped(tables, columns), extra));
  const profile = readProfile(profiled!, columns, extra);

  const rowResults = rules.map((r, i): ExpectationResult => {
    const n = failed[i]!;
    const message = n === 0 ? `all ${received} rows passed` : `${n} of ${received} rows failed; first, row ${firstRows.get(i)}: ${String(examples[`e${i}`])}`;
    return { rule: r.rule, scope: 'row', action: r.action, passed: n === 0, failedRows: n, message };
  });
  const names = expectationNames(contract.expectations);
  const results = ordered(contract, rules, rowResults, names, (e, i) => batchResult(e, names[i]!, profile, reference, now, contract.timestampField));
  const rejecting = results.find((r) => r.action === 'reject' && !r.passed);
  return {
    columns,
    inputColumns: input.map((c) => c.name),
    rules,
    received,
    setAside: Number(counts!.__setaside),
    results,
    profile,
    rejection: rejecting ? { rule: rejecting.rule, message: rejecting.message } : null,
  };
}

/** Schema rules first, then the expectations in contract order (row- and batch-level mixed). */
function ordered(
  contract: SourceContract,
  rules: readonly RowRule[],
  rowResults: readonly ExpectationResult[],
  names: readonly string[],
  judge: (e: BatchExpectation, i: number) => ExpectationResult,
): ExpectationResult[] {
  const byRule = new Map(rules.map((r, i) => [r.rule, rowResults[i]!]));
  const expectationRules = new Set(names);
  const results = rowResults.filter((r) => !expectationRules.has(r.rule));
  contract.expectations.forEach((e, i) => results.push(isRowExpectation(e) ? byRule.get(names[i]!)! : judge(e, i)));
  return results;
}

/** column → the quantiles its quantile_shift expectations compare (the profile keeps them too). */
function extraQuantiles(contract: SourceContract): Map<string, number[]> {
  const extra = new Map<string, number[]>();
  for (const e of contract.expectations) if (e.expect === 'quantile_shift') extra.set(e.column, [...(extra.get(e.column) ?? []), e.quantile]);
  return extra;
}
