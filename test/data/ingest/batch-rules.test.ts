import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataProfile } from '../../../src/data/contracts.js';
import { filesUnder, goodRides, ingestFixture, resultOf, ridesContract, type IngestFixture } from './ingest-fixture.js';

let fx: IngestFixture;
beforeAll(async () => {
  fx = await ingestFixture();
});
afterAll(async () => {
  await fx.close();
});

describe('max_null_fraction', () => {
  const rows = () => goodRides(10).map((r, i) => ({ ...r, city: i < 3 ? null : r.city }));

  it('warns by default when more values are null than allowed, keeping the rows', async () => {
    const { outcome } = await fx.ingestCsv(rows(), ridesContract({ expectations: [{ expect: 'max_null_fraction', column: 'city', max: 0.2 }] }));
    expect(resultOf(outcome, 'max_null_fraction(city)')).toMatchObject({ scope: 'batch', action: 'warn', passed: false, observed: 0.3 });
    expect(resultOf(outcome, 'max_null_fraction(city)').message).toBe('30 % of 10 rows are null, more than 20 %');
    expect(outcome).toMatchObject({ accepted: 10, rejected: null });
  });

  it('passes within the limit', async () => {
    const { outcome } = await fx.ingestCsv(rows(), ridesContract({ expectations: [{ expect: 'max_null_fraction', column: 'city', max: 0.3 }] }));
    expect(resultOf(outcome, 'max_null_fraction(city)')).toMatchObject({ passed: true, observed: 0.3 });
  });

  it('rejects the batch when asked to', async () => {
    const { outcome, plan } = await fx.ingestCsv(rows(), ridesContract({ expectations: [{ expect: 'max_null_fraction', column: 'city', max: 0.2, onFailure: 'reject' }] }));
    expect(outcome).toMatchObject({ accepted: 0, quarantined: 10, rejected: 'max_null_fraction(city): 30 % of 10 rows are null, more than 20 %' });
    expect(await filesUnder(plan.outDir)).toEqual([]);
    const q = await fx.quarantine(outcome);
    expect(q[0]).toMatchObject({ __rules: ['max_null_fraction(city)'], __reason: `batch rejected: ${outcome.rejected}` });
  });
});

describe('row_count_between', () => {
  it('counts the rows that would be accepted, not those quarantined', async () => {
    const rows = goodRides(6).map((r, i) => ({ ...r, fare: i < 2 ? 'bad' : r.fare }));
    const contract = ridesContract({ expectations: [{ expect: 'row_count_between', min: 5, onFailure: 'reject' }] });
    const { outcome } = await fx.ingestCsv(rows, contract);
    expect(resultOf(outcome, 'row_count_between')).toMatchObject({ passed: false, observed: 4, message: '4 rows, fewer than 5' });
    expect(outcome).toMatchObject({ received: 6, accepted: 0, quarantined: 6 });
    const q = await fx.quarantine(outcome);
    // a row that also failed its own rule lists it after the rejecting rule, and keeps its value
    expect(q[0]).toMatchObject({ __rules: ['row_count_between', 'type(fare)'], __value: 'bad' });
  });

  it('passes inside the range and fails above it', async () => {
    const inside = await fx.ingestCsv(goodRides(6), ridesContract({ expectations: [{ expect: 'row_count_between', min: 1, max: 6 }] }));
    expect(resultOf(inside.outcome, 'row_count_between')).toMatchObject({ passed: true, observed: 6 });
    const above = await fx.ingestCsv(goodRides(6), ridesContract({ expectations: [{ expect: 'row_count_between', max: 5 }] }));
    expect(resultOf(above.outcome, 'row_count_between')).toMatchObject({ passed: false, message: '6 rows, more than 5' });
    expect(above.outcome.accepted).toBe(6); // warn
  });
});

describe('freshness', () => {
  const contract = ridesContract({ expectations: [{ expect: 'freshness', maxAge: '1d' }] });

  it('passes when the newest event is recent enough', async () => {
    const { outcome } = await fx.ingestCsv(goodRides(4), contract, { now: new Date('2024-03-02T12:00:00Z') });
    // newest: 2024-03-02T03:00:00Z
    expect(resultOf(outcome, 'freshness')).toMatchObject({ passed: true, observed: 9 * 3_600_000 });
    expect(resultOf(outcome, 'freshness').message).toBe('the newest at is 2024-03-02T03:00:00.000Z, 9h old');
  });

  it('fails when the newest event is older than maxAge', async () => {
    const { outcome } = await fx.ingestCsv(goodRides(4), contract, { now: new Date('2024-03-05T03:00:00Z') });
    expect(resultOf(outcome, 'freshness')).toMatchObject({ passed: false, observed: 3 * 86_400_000 });
    expect(resultOf(outcome, 'freshness').message).toContain('3d old, older than 1d');
  });
});

describe('mean_shift and quantile_shift', () => {
  const contract = ridesContract({
    expectations: [
      { expect: 'mean_shift', column: 'fare', maxRelative: 0.1 },
      { expect: 'quantile_shift', column: 'fare', quantile: 0.9, maxRelative: 0.1, onFailure: 'reject' },
    ],
  });
  const fares = (values: number[]) => goodRides(values.length).map((r, i) => ({ ...r, fare: values[i] }));
  let reference: DataProfile;

  it('skips (passes) without a reference profile', async () => {
    const { outcome } = await fx.ingestCsv(fares([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]), contract);
    expect(resultOf(outcome, 'mean_shift(fare)')).toMatchObject({ passed: true, observed: null });
    expect(resultOf(outcome, 'mean_shift(fare)').message).toMatch(/^skipped: no reference profile/);
    expect(outcome.profile.columns.find((c) => c.column === 'fare')!.quantiles).toHaveProperty('p90', 91);
    reference = outcome.profile;
  });

  it('passes a batch that moved less than allowed', async () => {
    const { outcome } = await fx.ingestCsv(fares([12, 20, 30, 40, 50, 60, 70, 80, 90, 100]), contract, { reference });
    expect(resultOf(outcome, 'mean_shift(fare)')).toMatchObject({ passed: true, observed: 55.2 });
    expect(resultOf(outcome, 'quantile_shift(fare)')).toMatchObject({ passed: true, observed: 91 });
    expect(outcome.rejected).toBeNull();
  });

  it('fails a batch that moved more: warn keeps it, reject refuses it', async () => {
    const doubled = fares([10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((f) => f * 2));
    const { outcome } = await fx.ingestCsv(doubled, contract, { reference });
    expect(resultOf(outcome, 'mean_shift(fare)')).toMatchObject({ passed: false, action: 'warn', observed: 110, message: 'mean of fare moved from 55 to 110 (100 %), more than 10 %' });
    expect(resultOf(outcome, 'quantile_shift(fare)')).toMatchObject({ passed: false, action: 'reject', observed: 182 });
    expect(outcome.rejected).toBe('quantile_shift(fare): p90 of fare moved from 91 to 182 (100 %), more than 10 %');
  });

  it('skips a column or quantile the reference does not have', async () => {
    const { outcome } = await fx.ingestCsv(fares([1, 2, 3]), contract, { reference: { rows: 3, columns: [] } });
    expect(resultOf(outcome, 'mean_shift(fare)')).toMatchObject({ passed: true, message: 'skipped: the reference profile has no mean of fare' });
    const withoutP90 = { ...reference, columns: reference.columns.map((c) => ({ ...c, quantiles: c.quantiles && { p50: c.quantiles.p50! } })) };
    const second = await fx.ingestCsv(fares([1, 2, 3]), contract, { reference: withoutP90 });
    expect(resultOf(second.outcome, 'quantile_shift(fare)')).toMatchObject({ passed: true, message: 'skipped: the reference profile has no p90 of fare' });
  });
});
