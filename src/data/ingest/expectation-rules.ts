import { ROW_EXPECTATIONS, type Expectation, type ExpectationAction } from '../contracts.js';

/** An expectation judged row by row: failing rows are set aside (or warned about, or reject the batch). */
export type RowExpectation = Extract<Expectation, { expect: (typeof ROW_EXPECTATIONS)[number] }>;
/** An expectation judged on the whole batch of accepted rows. */
export type BatchExpectation = Exclude<Expectation, RowExpectation>;

const ROW = new Set<string>(ROW_EXPECTATIONS);

/** Whether an expectation judges rows one by one (`not_null`, `unique`, `between`, `in_set`, `regex`). */
export function isRowExpectation(expectation: Expectation): expectation is RowExpectation {
  return ROW.has(expectation.expect);
}

/** What a failure does when the contract does not say: row-level rules quarantine, batch-level ones warn. */
export function actionOf(expectation: Expectation): ExpectationAction {
  return expectation.onFailure ?? (isRowExpectation(expectation) ? 'quarantine' : 'warn');
}

/**
 * The rule's name in results and in the quarantine file: the expectation with its
 * column(s), `between(fare)`, `unique(origin,destination)`, `row_count_between`, `freshness`.
 */
export function expectationName(expectation: Expectation): string {
  switch (expectation.expect) {
    case 'unique':
      return `unique(${expectation.columns.join(',')})`;
    case 'row_count_between':
    case 'freshness':
      return expectation.expect;
    default:
      return `${expectation.expect}(${expectation.column})`;
  }
}

/**
 * Names for every expectation of a contract, in order; a name taken twice (two
 * quantile_shift on one column) gets ` #2`, ` #3`, so each rule counts on its own.
 */
export function expectationNames(expectations: readonly Expectation[]): string[] {
  const seen = new Map<string, number>();
  return expectations.map((e) => {
    const name = expectationName(e);
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name} #${n}`;
  });
}
