import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Expectation, SourceContract } from '../../../src/data/contracts.js';
import { ingestBatch, ingestRelation, quantileKey } from '../../../src/data/ingest/index.js';
import { ingestFixture, type IngestFixture } from './ingest-fixture.js';

let fx: IngestFixture;
beforeAll(async () => {
  fx = await ingestFixture();
});
afterAll(async () => {
  await fx.close();
});

/** A small seeded PRNG (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const schema: SourceContract['schema'] = { seq: 'int64', fare: 'float64', n: 'int32', ok: 'bool', city: 'string', at: 'timestamp' };
const CITIES = ['doha', 'dubai', 'muscat', 'riyadh', 'kuwait', 'manama'];

function rows(count: number, random: () => number, badShare = 0): Record<string, unknown>[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const bad = random() < badShare;
    return {
      seq: i + 1,
      fare: bad && random() < 0.3 ? 'oops' : random() < 0.1 ? null : Math.round((random() * 200 - 20) * 100) / 100,
      n: bad && random() < 0.3 ? 2.5 : Math.floor(random() * 50),
      ok: random() < 0.1 ? null : random() < 0.6,
      city: bad && random() < 0.3 ? 'Paris' : random() < 0.05 ? null : pick(CITIES),
      at: new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 10 * 86_400_000)).toISOString(),
    };
  });
}

function quantileCont(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

describe('profile', () => {
  it('names quantiles p01 … p99, with decimals when needed', () => {
    expect([0.01, 0.05, 0.5, 0.9, 0.999, 1].map(quantileKey)).toEqual(['p01', 'p05', 'p50', 'p90', 'p99.9', 'p100']);
  });

  it('matches statistics computed independently over the accepted rows', async () => {
    const input = rows(600, prng(7), 0.05);
    const contract: SourceContract = { schema, timestampField: 'at', required: [], allowedValues: {}, expectations: [{ expect: 'regex', column: 'city', pattern: '[a-z]+' }] };
    const outcome = await ingestBatch(fx.engine, fx.plan(ingestRelation(await fx.jsonl(input), 'jsonl'), contract));
    const kept = input.filter((r) => r.fare !== 'oops' && r.n !== 2.5 && r.city !== 'Paris');
    expect(outcome.accepted).toBe(kept.length);
    expect(outcome.profile.rows).toBe(kept.length);
    const col = (name: string) => outcome.profile.columns.find((c) => c.column === name)!;

    const fares = kept.map((r) => r.fare).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
    const mean = fares.reduce((s, v) => s + v, 0) / fares.length;
    const stddev = Math.sqrt(fares.reduce((s, v) => s + (v - mean) ** 2, 0) / (fares.length - 1));
    const fare = col('fare');
    expect(fare).toMatchObject({ type: 'float64', count: fares.length, nulls: kept.length - fares.length, min: fares[0], max: fares.at(-1) });
    expect(fare.mean).toBeCloseTo(mean, 9);
    expect(fare.stddev).toBeCloseTo(stddev, 9);
    for (const [key, q] of [['p01', 0.01], ['p05', 0.05], ['p25', 0.25], ['p50', 0.5], ['p75', 0.75], ['p95', 0.95], ['p99', 0.99]] as const) {
      expect(fare.quantiles![key]).toBeCloseTo(quantileCont(fares, q), 9);
    }

    const flags = kept.map((r) => r.ok).filter((v): v is boolean => typeof v === 'boolean');
    expect(col('ok')).toMatchObject({ count: flags.length, min: 0, max: 1, quantiles: null, stddev: null });
    expect(col('ok').mean).toBeCloseTo(flags.filter(Boolean).length / flags.length, 12);

    const cities = kept.map((r) => r.city).filter((v): v is string => typeof v === 'string').sort();
    expect(col('city')).toMatchObject({ count: cities.length, min: cities[0], max: cities.at(-1), mean: null, distinct: new Set(cities).size });

    const times = kept.map((r) => Date.parse(r.at as string));
    expect(col('at')).toMatchObject({ type: 'timestamp', nulls: 0, min: Math.min(...times), max: Math.max(...times), quantiles: null });
    expect(col('n').distinct).toBeGreaterThanOrEqual(45); // approximate (HyperLogLog) over 50 values
    expect(col('n').distinct).toBeLessThanOrEqual(55);
  });
});

describe('accounting: accepted + quarantined = received', () => {
  const actions = ['warn', 'quarantine', 'reject'] as const;
  const seen = new Set<string>();
  for (let seed = 1; seed <= 12; seed++) {
    it(`holds for random batch ${seed}, row for row`, async () => {
      const random = prng(seed);
      const action = () => actions[Math.floor(random() * (seed % 3 === 0 ? 3 : 2))]!;
      const expectations: Expectation[] = [
        { expect: 'between', column: 'fare', min: 0, max: 150, onFailure: action() },
        { expect: 'in_set', column: 'city', values: CITIES.slice(0, 4), onFailure: action() },
        { expect: 'not_null', column: 'ok', onFailure: action() },
        { expect: 'unique', columns: ['n', 'city'], onFailure: action() },
        { expect: 'row_count_between', min: Math.floor(random() * 100), onFailure: random() < 0.3 ? 'reject' : 'warn' },
      ];
      const contract: SourceContract = { schema, timestampField: 'at', required: ['seq', 'city'], allowedValues: {}, expectations };
      const input = rows(50 + Math.floor(random() * 150), random, random() * 0.3);
      const plan = fx.plan(ingestRelation(await fx.csv(input), 'csv'), contract);
      const outcome = await ingestBatch(fx.engine, plan);
      expect(outcome.accepted + outcome.quarantined).toBe(outcome.received);
      expect(outcome.received).toBe(input.length);
      const quarantined = (await fx.quarantine(outcome)).map((r) => Number(r.seq));
      expect(quarantined).toHaveLength(outcome.quarantined);
      const out = outcome.accepted > 0 ? await fx.accepted(plan.outDir, 'seq') : [];
      expect(out).toHaveLength(outcome.accepted);
      const all = [...quarantined, ...out.map((r) => Number(r.seq))].sort((a, b) => a - b);
      expect(all).toEqual(input.map((_, i) => i + 1));
      if (outcome.rejected) expect(outcome.accepted).toBe(0);
      seen.add(outcome.rejected ? 'rejected' : outcome.quarantined > 0 ? 'partial' : 'accepted');
    });
  }

  it('the random batches covered rejected and partly quarantined outcomes', () => {
    expect(seen).toContain('rejected');
    expect(seen).toContain('partial');
  });
});
