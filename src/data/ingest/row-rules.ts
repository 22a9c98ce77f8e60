import { quoteLiteral } from '../../storage/offline/index.js';
import type { ExpectationAction, SourceContract } from '../contracts.js';
import { literalSql, numberSql, type IngestColumn } from './column-sql.js';
import { actionOf, expectationNames, isRowExpectation, type RowExpectation } from './expectation-rules.js';

/**
 * One row-level rule compiled to SQL over the ingestion's typed rows (`__row`, the raw
 * input columns by name, the typed values by `IngestColumn.alias`).
 */
export interface RowRule {
  /** `type(fare)`, `required(id)`, `allowed(city)`, `between(fare)` … */
  rule: string;
  action: ExpectationAction;
  /** true when the row fails the rule (may be NULL for "passes") */
  fails: string;
  /** the failure explained for one row, as text: `-3 is below 0` */
  reason: string;
  /** the offending value as text (NULL when it is missing) */
  value: string;
  /**
   * unique: the groups of rows sharing a non-null key more than once, each with its first
   * `__row` under `alias` (joined to every row before `fails` is evaluated)
   */
  duplicates?: { alias: string; keys: IngestColumn[] };
}

const LISTED = 10;

/**
 * The contract's row-level rules, in the order a row's first failure is chosen: the type
 * of each column, then required columns, allowed values, and the row-level expectations
 * in contract order. Schema rules always quarantine.
 */
export function rowRules(contract: SourceContract, columns: readonly IngestColumn[]): RowRule[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const column = (name: string): IngestColumn => {
    const found = byName.get(name);
    // checkExpectations refuses contracts that name unknown columns before any SQL is built
    if (!found) throw new Error(`column ${name} is not in the contract's schema`);
    return found;
  };
  const rules: RowRule[] = columns.map((c) => ({
    rule: `type(${c.name})`,
    action: 'quarantine',
    fails: c.typed === c.raw ? 'FALSE' : `${c.raw} IS NOT NULL AND ${c.alias} IS NULL`,
    reason: `${show(c.rawText)} || ${quoteLiteral(` is not of type ${c.type}`)}`,
    value: c.rawText,
  }));
  for (const name of new Set([contract.timestampField, ...contract.required])) {
    const c = column(name);
    rules.push({
      rule: `required(${name})`,
      action: 'quarantine',
      // a required column the input lacks fails every row: the rows are kept, with the reason
      fails: c.inputType === null ? 'TRUE' : `${c.raw} IS NULL`,
      reason: quoteLiteral(c.inputType === null ? 'the column is missing from the input' : 'the value is missing'),
      value: 'CAST(NULL AS VARCHAR)',
    });
  }
  for (const [name, values] of Object.entries(contract.allowedValues)) {
    const c = column(name);
    rules.push({ rule: `allowed(${name})`, action: 'quarantine', ...notIn(c, values, 'is not an allowed value') });
  }
  const names = expectationNames(contract.expectations);
  contract.expectations.forEach((e, i) => {
    if (isRowExpectation(e)) rules.push({ rule: names[i]!, action: actionOf(e), ...expectationSql(e, column, i) });
  });
  return rules;
}

function expectationSql(e: RowExpectation, column: (name: string) => IngestColumn, index: number): Omit<RowRule, 'rule' | 'action'> {
  switch (e.expect) {
    case 'not_null': {
      const c = column(e.column);
      return { fails: `${c.raw} IS NULL`, reason: quoteLiteral('the value is null'), value: 'CAST(NULL AS VARCHAR)' };
    }
    case 'between': {
      const c = column(e.column);
      const below = e.min === undefined ? null : `${c.alias} < ${numberSql(e.min)}`;
      const above = e.max === undefined ? null : `${c.alias} > ${numberSql(e.max)}`;
      return {
        fails: [below, above].filter((x) => x !== null).join(' OR ') || 'FALSE',
        reason: `${c.rawText} || ${
          below && above
            ? `CASE WHEN ${below} THEN ${quoteLiteral(` is below ${e.min}`)} ELSE ${quoteLiteral(` is above ${e.max}`)} END`
            : quoteLiteral(below ? ` is below ${e.min}` : ` is above ${e.max}`)
        }`,
        value: c.rawText,
      };
    }
    case 'in_set':
      return notIn(column(e.column), e.values, 'is not in the set');
    case 'regex': {
      const c = column(e.column);
      const text = c.type === 'string' ? c.alias : `CAST(${c.alias} AS VARCHAR)`;
      return {
        fails: `NOT regexp_full_match(${text}, ${quoteLiteral(e.pattern)})`,
        reason: `${show(c.rawText)} || ${quoteLiteral(` does not match ${e.pattern}`)}`,
        value: c.rawText,
      };
    }
    case 'unique': {
      // NULL keys are not compared (as SQL's UNIQUE): not_null or required catch them
      const keys = e.columns.map(column);
      const alias = `__falaj_u${index}`;
      return {
        duplicates: { alias, keys },
        fails: `__row > ${alias}`,
        reason: `'duplicate of row ' || ${alias}`,
        value: keys.length === 1 ? keys[0]!.rawText : `concat_ws(', ', ${keys.map((k) => k.rawText).join(', ')})`,
      };
    }
  }
}

function notIn(c: IngestColumn, values: readonly (string | number | boolean)[], what: string): Omit<RowRule, 'rule' | 'action'> {
  const listed = values.slice(0, LISTED).map(String).join(', ') + (values.length > LISTED ? ', …' : '');
  return {
    fails: `${c.alias} NOT IN (${values.map((v) => literalSql(v, c.type)).join(', ')})`,
    reason: `${show(c.rawText)} || ${quoteLiteral(` ${what} (${listed})`)}`,
    value: c.rawText,
  };
}

/** A text expression shown in quotes: 'abc'. */
function show(text: string): string {
  return `'''' || ${text} || ''''`;
}
