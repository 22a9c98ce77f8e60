import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, goodRides, ingestFixture, resultOf, ridesContract, type IngestFixture } from './ingest-fixture.js';

let fx: IngestFixture;
beforeAll(async () => {
  fx = await ingestFixture();
});
afterAll(async () => {
  await fx.close();
});

describe('schema rules', () => {
  it('passes rows that meet the contract and reports every schema rule as passed', async () => {
    const { outcome } = await fx.ingestCsv(goodRides(6), ridesContract({ allowedValues: { city: ['doha', 'dubai'] } }));
    expect(outcome).toMatchObject({ received: 6, accepted: 6, quarantined: 0, rejected: null, quarantineFile: null });
    expect(outcome.results.map((r) => [r.rule, r.passed])).toEqual([
      ['type(id)', true], ['type(fare)', true], ['type(city)', true], ['type(at)', true],
      ['required(at)', true], ['required(id)', true], ['allowed(city)', true],
    ]);
  });

  it('quarantines a value that fails its type, keeping the raw text', async () => {
    const rows = goodRides(4);
    rows[1]!.fare = 'twelve';
    rows[2]!.id = '3.5'; // DuckDB would round it to 4: an int64 must be whole
    rows[3]!.at = 'yesterday';
    const { outcome } = await fx.ingestCsv(rows, ridesContract());
    expect(outcome).toMatchObject({ received: 4, accepted: 1, quarantined: 3 });
    expect(resultOf(outcome, 'type(fare)')).toMatchObject({ passed: false, failedRows: 1, action: 'quarantine' });
    expect(resultOf(outcome, 'type(fare)').message).toBe("1 of 4 rows failed; first, row 2: 'twelve' is not of type float64");
    const q = await fx.quarantine(outcome);
    expect(q.map((r) => [r.__row, r.__rules, r.__reason, r.__value])).toEqual([
      [2, ['type(fare)'], "type(fare): 'twelve' is not of type float64", 'twelve'],
      [3, ['type(id)'], "type(id): '3.5' is not of type int64", '3.5'],
      [4, ['type(at)'], "type(at): 'yesterday' is not of type timestamp", 'yesterday'],
    ]);
    expect(q[1]).toMatchObject({ id: '3.5', fare: '12', city: 'doha', at: '2024-03-01T02:00:00Z' });
  });

  it('quarantines rows missing a required value or the timestamp', async () => {
    const rows = goodRides(3);
    rows[0]!.id = null;
    rows[2]!.at = null;
    const { outcome } = await fx.ingestCsv(rows, ridesContract());
    expect(outcome).toMatchObject({ accepted: 1, quarantined: 2 });
    const q = await fx.quarantine(outcome);
    expect(q.map((r) => [r.__row, r.__reason, r.__value])).toEqual([
      [1, 'required(id): the value is missing', null],
      [3, 'required(at): the value is missing', null],
    ]);
  });

  it('fails every row when a required column is absent from the input, keeping the rows', async () => {
    const rows = goodRides(3).map(({ id: _id, ...rest }) => rest);
    const { outcome, plan } = await fx.ingestCsv(rows, ridesContract());
    expect(outcome).toMatchObject({ received: 3, accepted: 0, quarantined: 3, rejected: null, files: [], sha256: null });
    expect(resultOf(outcome, 'required(id)')).toMatchObject({ passed: false, failedRows: 3 });
    expect((await fx.quarantine(outcome))[0]).toMatchObject({ __reason: 'required(id): the column is missing from the input', fare: '10' });
    expect(await filesUnder(plan.outDir)).toEqual([]);
  });

  it('accepts a batch lacking an optional column, as nulls', async () => {
    const rows = goodRides(2).map(({ fare: _fare, ...rest }) => rest);
    const { outcome, plan } = await fx.ingestCsv(rows, ridesContract());
    expect(outcome.accepted).toBe(2);
    expect((await fx.accepted(plan.outDir, 'id')).map((r) => r.fare)).toEqual([null, null]);
  });

  it('quarantines values outside allowedValues', async () => {
    const rows = goodRides(3);
    rows[2]!.city = 'paris';
    const { outcome } = await fx.ingestCsv(rows, ridesContract({ allowedValues: { city: ['doha', 'dubai'] } }));
    expect(resultOf(outcome, 'allowed(city)')).toMatchObject({ passed: false, failedRows: 1 });
    expect((await fx.quarantine(outcome))[0]).toMatchObject({ __row: 3, __reason: "allowed(city): 'paris' is not an allowed value (doha, dubai)", __value: 'paris' });
  });
});

describe('row-level expectations', () => {
  const cases: { name: string; rule: string; expectation: Parameters<typeof ridesContract>[0]; bad: (r: Record<string, unknown>) => void; reason: string }[] = [
    { name: 'not_null', rule: 'not_null(city)', expectation: { expectations: [{ expect: 'not_null', column: 'city' }] }, bad: (r) => (r.city = null), reason: 'not_null(city): the value is null' },
    { name: 'between (below)', rule: 'between(fare)', expectation: { expectations: [{ expect: 'between', column: 'fare', min: 0, max: 100 }] }, bad: (r) => (r.fare = -3), reason: 'between(fare): -3 is below 0' },
    { name: 'between (above)', rule: 'between(fare)', expectation: { expectations: [{ expect: 'between', column: 'fare', min: 0, max: 100 }] }, bad: (r) => (r.fare = 250.5), reason: 'between(fare): 250.5 is above 100' },
    { name: 'between (max only)', rule: 'between(fare)', expectation: { expectations: [{ expect: 'between', column: 'fare', max: 100 }] }, bad: (r) => (r.fare = 101), reason: 'between(fare): 101 is above 100' },
    { name: 'in_set', rule: 'in_set(city)', expectation: { expectations: [{ expect: 'in_set', column: 'city', values: ['doha', 'dubai'] }] }, bad: (r) => (r.city = 'rome'), reason: "in_set(city): 'rome' is not in the set (doha, dubai)" },
    { name: 'in_set on numbers', rule: 'in_set(id)', expectation: { expectations: [{ expect: 'in_set', column: 'id', values: [1, 2, 3, 4, 5] }] }, bad: (r) => (r.id = 99), reason: "in_set(id): '99' is not in the set (1, 2, 3, 4, 5)" },
    { name: 'regex', rule: 'regex(city)', expectation: { expectations: [{ expect: 'regex', column: 'city', pattern: '^[a-z]+$' }] }, bad: (r) => (r.city = 'Doha!'), reason: "regex(city): 'Doha!' does not match ^[a-z]+$" },
  ];
  for (const c of cases) {
    it(`${c.name}: quarantines the failing row and passes the others`, async () => {
      const rows = goodRides(5);
      c.bad(rows[3]!);
      const { outcome } = await fx.ingestCsv(rows, ridesContract(c.expectation));
      expect(resultOf(outcome, c.rule)).toMatchObject({ scope: 'row', action: 'quarantine', passed: false, failedRows: 1 });
      expect(outcome).toMatchObject({ received: 5, accepted: 4, quarantined: 1 });
      expect((await fx.quarantine(outcome)).map((r) => [r.__row, r.__rules, r.__reason])).toEqual([[4, [c.rule], c.reason]]);
      const clean = await fx.ingestCsv(goodRides(5), ridesContract(c.expectation));
      expect(resultOf(clean.outcome, c.rule)).toMatchObject({ passed: true, failedRows: 0, message: 'all 5 rows passed' });
    });
  }

  it('unique keeps the first row of each duplicate group and skips null keys', async () => {
    const rows = goodRides(7); // cities alternate doha, dubai, …
    rows[2]!.id = 1; // duplicate of row 1
    rows[4]!.id = 1; // and again
    rows[3]!.city = null;
    rows[6]!.city = null; // null keys are not duplicates of one another
    const { outcome } = await fx.ingestCsv(rows, ridesContract({ expectations: [{ expect: 'unique', columns: ['id'] }, { expect: 'unique', columns: ['city'] }] }));
    expect(resultOf(outcome, 'unique(id)')).toMatchObject({ failedRows: 2 });
    expect(resultOf(outcome, 'unique(city)')).toMatchObject({ failedRows: 3 });
    const q = await fx.quarantine(outcome);
    expect(q.map((r) => [r.__row, r.__rules, r.__reason])).toEqual([
      [3, ['unique(id)', 'unique(city)'], 'unique(id): duplicate of row 1'],
      [5, ['unique(id)', 'unique(city)'], 'unique(id): duplicate of row 1'],
      [6, ['unique(city)'], 'unique(city): duplicate of row 2'],
    ]);
    expect(outcome.accepted).toBe(4);
  });

  it('unique over several columns names the key in __value', async () => {
    const rows = goodRides(3);
    rows[2]!.id = 1;
    rows[2]!.city = 'doha';
    const { outcome } = await fx.ingestCsv(rows, ridesContract({ expectations: [{ expect: 'unique', columns: ['id', 'city'] }] }));
    expect((await fx.quarantine(outcome))[0]).toMatchObject({ __row: 3, __rules: ['unique(id,city)'], __value: '1, doha' });
  });
});

describe('actions', () => {
  const between = (onFailure: 'warn' | 'quarantine' | 'reject') => ridesContract({ expectations: [{ expect: 'between', column: 'fare', min: 0, onFailure }] });
  const withNegative = () => {
    const rows = goodRides(4);
    rows[1]!.fare = -1;
    return rows;
  };

  it('warn counts the failure but keeps the row', async () => {
    const { outcome } = await fx.ingestCsv(withNegative(), between('warn'));
    expect(outcome).toMatchObject({ accepted: 4, quarantined: 0, rejected: null });
    expect(resultOf(outcome, 'between(fare)')).toMatchObject({ action: 'warn', passed: false, failedRows: 1 });
  });

  it('a warning is listed beside the rule that quarantined the row', async () => {
    const rows = withNegative();
    rows[1]!.city = null;
    const contract = ridesContract({ expectations: [{ expect: 'between', column: 'fare', min: 0, onFailure: 'warn' }, { expect: 'not_null', column: 'city' }] });
    const { outcome } = await fx.ingestCsv(rows, contract);
    expect((await fx.quarantine(outcome)).map((r) => [r.__rules, r.__reason])).toEqual([[['between(fare)', 'not_null(city)'], 'not_null(city): the value is null']]);
  });

  it('quarantine sets the row aside', async () => {
    const { outcome } = await fx.ingestCsv(withNegative(), between('quarantine'));
    expect(outcome).toMatchObject({ accepted: 3, quarantined: 1, rejected: null });
  });

  it('reject refuses the batch: nothing written, every row quarantined with the reason', async () => {
    const { outcome, plan } = await fx.ingestCsv(withNegative(), between('reject'));
    expect(outcome).toMatchObject({ received: 4, accepted: 0, quarantined: 4, files: [], sha256: null });
    expect(outcome.rejected).toBe('between(fare): 1 of 4 rows failed; first, row 2: -1 is below 0');
    expect(outcome.profile.rows).toBe(0);
    expect(await filesUnder(plan.outDir)).toEqual([]);
    const q = await fx.quarantine(outcome);
    expect(q.map((r) => [r.__row, r.__rules, r.__value])).toEqual([
      [1, ['between(fare)'], null],
      [2, ['between(fare)'], '-1'],
      [3, ['between(fare)'], null],
      [4, ['between(fare)'], null],
    ]);
    expect(new Set(q.map((r) => r.__reason))).toEqual(new Set([`batch rejected: ${outcome.rejected}`]));
  });

  it('reject passes a clean batch', async () => {
    const { outcome } = await fx.ingestCsv(goodRides(4), between('reject'));
    expect(outcome).toMatchObject({ accepted: 4, rejected: null });
  });
});
