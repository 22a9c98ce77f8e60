import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceContract } from '../../../src/data/contracts.js';
import { ingestBatch } from '../../../src/data/ingest/index.js';
import { fileRelation } from '../../../src/storage/offline/index.js';
import { ingestFixture, type IngestFixture } from './ingest-fixture.js';

const FLIGHTS = join(import.meta.dirname, '../../../node_modules/vega-datasets/data/flights-3m.parquet');
const SLICE = 100_000;

let fx: IngestFixture;
beforeAll(async () => {
  fx = await ingestFixture();
});
afterAll(async () => {
  await fx.close();
});

const contract: SourceContract = {
  schema: { date: 'timestamp', delay: 'int64', distance: 'int64', origin: 'string', destination: 'string' },
  timestampField: 'date',
  required: ['date', 'origin', 'destination'],
  allowedValues: {},
  expectations: [
    { expect: 'between', column: 'delay', min: -120, max: 1500 },
    { expect: 'between', column: 'distance', min: 1 },
    { expect: 'regex', column: 'origin', pattern: '^[A-Z]{3}$' },
    { expect: 'unique', columns: ['date', 'origin', 'destination'], onFailure: 'warn' },
    { expect: 'max_null_fraction', column: 'delay', max: 0.01 },
  ],
};

describe.skipIf(!existsSync(FLIGHTS))('a real slice of the flights data set', () => {
  it(`ingests ${SLICE.toLocaleString('en-US')} flights: the counts and profile match plain SQL over the same rows`, async () => {
    // a deterministic slice: the file's first rows, numbered as DuckDB reads them
    const relation = `(SELECT * FROM ${fileRelation(FLIGHTS, 'parquet')} LIMIT ${SLICE})`;
    const plan = fx.plan(relation, contract);
    const outcome = await ingestBatch(fx.engine, plan);

    const [expected] = await fx.engine.query(`
      SELECT count(*) FILTER (WHERE NOT bad) AS accepted, count(*) FILTER (WHERE bad) AS quarantined,
             count(*) FILTER (WHERE delay < -120 OR delay > 1500) AS delay_out,
             avg(delay) FILTER (WHERE NOT bad) AS delay_mean, count(DISTINCT strftime(date, '%Y-%m-%d')) FILTER (WHERE NOT bad) AS days
      FROM (SELECT *, coalesce(delay < -120 OR delay > 1500 OR distance < 1 OR NOT regexp_full_match(origin, '^[A-Z]{3}$')
                               OR date IS NULL OR origin IS NULL OR destination IS NULL, FALSE) AS bad
            FROM ${relation})`);
    expect(outcome).toMatchObject({ received: SLICE, accepted: expected!.accepted, quarantined: expected!.quarantined, rejected: null });
    expect(outcome.results.find((r) => r.rule === 'between(delay)')?.failedRows).toBe(expected!.delay_out);
    expect(outcome.files).toHaveLength(Number(expected!.days));
    expect(outcome.profile.columns.find((c) => c.column === 'delay')!.mean).toBeCloseTo(Number(expected!.delay_mean), 9);

    const [back] = await fx.engine.query(`SELECT count(*) AS n, count(DISTINCT __date) AS days FROM read_parquet('${plan.outDir}/**/*.parquet', hive_partitioning=true)`);
    expect(back).toEqual({ n: outcome.accepted, days: expected!.days });
    const quarantined = await fx.quarantine(outcome);
    expect(quarantined).toHaveLength(outcome.quarantined);
    for (const row of quarantined) expect(row.__reason).toMatch(/^(between\(delay\): -?\d+ is (below -120|above 1500)|between\(distance\)|regex\(origin\))/);
  });
});
