import { describe, expect, it } from 'vitest';
import type { Expectation, SourceContract } from '../../../src/data/contracts.js';
import { checkExpectations, ingestBatch } from '../../../src/data/ingest/index.js';
import { DuckDbEngine } from '../../../src/storage/offline/index.js';
import { ridesContract } from './ingest-fixture.js';

const withExpectation = (e: Expectation): SourceContract => ridesContract({ expectations: [e] });

describe('checkExpectations', () => {
  it('finds nothing wrong with a sound contract', () => {
    expect(
      checkExpectations(
        ridesContract({
          required: ['id', 'city'],
          allowedValues: { city: ['doha', 'dubai'], id: [1, 2] },
          expectations: [
            { expect: 'not_null', column: 'fare' },
            { expect: 'unique', columns: ['id', 'at'] },
            { expect: 'between', column: 'fare', min: 0, max: 500, onFailure: 'reject' },
            { expect: 'in_set', column: 'city', values: ['doha'] },
            { expect: 'regex', column: 'city', pattern: '^[a-z]{2,}$' },
            { expect: 'max_null_fraction', column: 'city', max: 0.1 },
            { expect: 'row_count_between', min: 1 },
            { expect: 'freshness', maxAge: '1d', onFailure: 'reject' },
            { expect: 'mean_shift', column: 'fare', maxRelative: 0.2 },
            { expect: 'quantile_shift', column: 'fare', quantile: 0.5, maxRelative: 0.2 },
          ],
        }),
      ),
    ).toEqual([]);
  });

  const cases: [string, SourceContract, string][] = [
    ['a required column outside the schema', ridesContract({ required: ['driver'] }), 'required names column driver, which is not in the schema'],
    ['an unknown type', ridesContract({ schema: { at: 'timestamp', x: 'decimal' as never } }), 'column x has unknown type decimal'],
    ['a timestamp field of another type', ridesContract({ schema: { at: 'string' } }), 'timestampField at has type string: it must be timestamp'],
    ['a reserved column name', ridesContract({ schema: { at: 'timestamp', __date: 'string' } }), 'column name __date is reserved'],
    ['allowed values of the wrong type', ridesContract({ allowedValues: { id: [1, 'two'] } }), 'allowedValues of id: "two" is not int64'],
    ['an empty list of allowed values', ridesContract({ allowedValues: { city: [] } }), 'allowedValues of city: list at least one value'],
    ['an expectation on an unknown column', withExpectation({ expect: 'not_null', column: 'driver' }), 'not_null(driver) names column driver, which is not in the schema'],
    ['an unknown expectation', withExpectation({ expect: 'sorted' } as never), 'unknown expectation sorted'],
    ['min above max', withExpectation({ expect: 'between', column: 'fare', min: 5, max: 1 }), 'between(fare): min 5 is greater than max 1'],
    ['between with no bound', withExpectation({ expect: 'between', column: 'fare' }), 'between(fare): give min, max or both'],
    ['between on text', withExpectation({ expect: 'between', column: 'city', min: 0 }), 'between(city): column city is string, not a number'],
    ['a regex that does not compile', withExpectation({ expect: 'regex', column: 'city', pattern: '([a-z' }), 'regex(city): the pattern does not compile'],
    ['a regex RE2 cannot run', withExpectation({ expect: 'regex', column: 'city', pattern: '^(?!x).*$' }), 'regex(city): lookaround and backreferences are not supported'],
    ['unique with no columns', withExpectation({ expect: 'unique', columns: [] }), 'unique(): name at least one column'],
    ['in_set of the wrong type', withExpectation({ expect: 'in_set', column: 'fare', values: ['cheap'] }), 'in_set(fare): "cheap" is not float64'],
    ['quarantine on a batch-level rule', withExpectation({ expect: 'row_count_between', min: 1, onFailure: 'quarantine' }), 'row_count_between: a batch-level expectation cannot quarantine rows'],
    ['an unknown action', withExpectation({ expect: 'not_null', column: 'city', onFailure: 'drop' as never }), 'not_null(city): onFailure must be warn, quarantine or reject'],
    ['a fraction above 1', withExpectation({ expect: 'max_null_fraction', column: 'city', max: 2 }), 'max_null_fraction(city): max must be a fraction between 0 and 1'],
    ['a bad duration', withExpectation({ expect: 'freshness', maxAge: 'soon' }), 'freshness: maxAge soon is not a duration'],
    ['a negative shift', withExpectation({ expect: 'mean_shift', column: 'fare', maxRelative: -1 }), 'mean_shift(fare): maxRelative must be a finite number'],
    ['a quantile above 1', withExpectation({ expect: 'quantile_shift', column: 'fare', quantile: 50, maxRelative: 0.1 }), 'quantile_shift(fare): quantile must be between 0 and 1'],
    ['a shift on text', withExpectation({ expect: 'mean_shift', column: 'city', maxRelative: 0.1 }), 'mean_shift(city): column city is string, not a number'],
  ];
  for (const [name, contract, problem] of cases) {
    it(`reports ${name}`, () => {
      const problems = checkExpectations(contract);
      expect(problems.some((p) => p.startsWith(problem)), `${problems.join(' | ')}`).toBe(true);
    });
  }

  it('makes ingestBatch refuse the contract before reading anything', async () => {
    const engine = await DuckDbEngine.create({ threads: 1 });
    try {
      const plan = { relation: 'read_csv(\'/nowhere.csv\')', contract: ridesContract({ required: ['driver'] }), reference: null, now: new Date(), outDir: '/nowhere/out', quarantineFile: '/nowhere/q.parquet', tempDir: '/nowhere/tmp' };
      await expect(ingestBatch(engine, plan)).rejects.toMatchObject({ code: 'FALAJ_DATA_CONTRACT_INVALID', details: { problems: ['required names column driver, which is not in the schema'] } });
    } finally {
      await engine.close();
    }
  });
});
