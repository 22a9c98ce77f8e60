import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { applyOk, type Spec } from '../../features/fixtures.js';

/** A push source with a contract: types, required columns, allowed values, expectations. */
const DEFINITIONS = (expectations: unknown[] = []): Spec[] => [
  { kind: 'Entity', name: 'driver', joinKeys: ['driver_id'], valueType: 'int64' },
  {
    kind: 'PushSource', name: 'trips', classification: 'public', timestampField: 'ts',
    schema: { driver_id: 'int64', ts: 'timestamp', fare: 'float64', city: 'string' },
    required: ['driver_id'],
    allowedValues: { city: ['dubai', 'abu_dhabi'] },
    expectations: [{ expect: 'between', column: 'fare', min: 0, max: 500 }, ...expectations],
  },
  { kind: 'FeatureView', name: 'trip_stats', entities: ['driver'], source: 'trips', ttl: '0', classification: 'public', online: false, features: [{ name: 'fare_sum_7d', type: 'float64', aggregation: { function: 'sum', column: 'fare', window: '7d' } }] },
];

const CSV = [
  'driver_id,ts,fare,city',
  '1,2026-01-01T10:00:00Z,20.5,dubai',
  '2,2026-01-01T11:00:00Z,31,abu_dhabi',
  '3,2026-01-02T09:00:00Z,-4,dubai', // between(fare)
  ',2026-01-02T09:30:00Z,10,dubai', // required(driver_id)
  '5,not a time,10,dubai', // type(ts)
  '6,2026-01-02T10:00:00Z,12,paris', // allowed(city)
  '7,2026-01-03T10:00:00Z,44,dubai',
].join('\n');

describe('batch ingestion: validation, quarantine, quality reports, dataset versions', () => {
  let t: TestApp;
  let dir: string;
  const upload = async (name: string, body: string, format = 'csv') => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/projects/default/sources/trips/ingest?format=${format}&name=${name}`, headers: { ...t.auth(), 'content-type': 'application/octet-stream' }, payload: Buffer.from(body) });
    return res;
  };
  beforeAll(async () => {
    t = await createTestApp({ name: 'sqlite' }, { 'training.localPool': false });
    dir = await mkdtemp(join(tmpdir(), 'falaj-ingest-test-'));
    await applyOk(t, DEFINITIONS());
  });
  afterAll(async () => {
    await t?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the valid rows, quarantines the others with the rule and value, and accounts for every row', async () => {
    const res = await upload('trips.csv', CSV);
    expect(res.statusCode, res.body).toBe(201);
    const report = res.json();
    expect(report).toMatchObject({ source: 'trips', status: 'partial', received: 6 + 1, accepted: 3, quarantined: 4, datasetVersion: 1, input: { name: 'trips.csv', format: 'csv' } });
    expect(report.accepted + report.quarantined).toBe(report.received);
    expect(report.sha256).toMatch(/^[0-9a-f]{64}$/);
    const rows = (await t.app.inject({ method: 'GET', url: `/api/v1/projects/default/ingestions/${report.id}/quarantine`, headers: t.auth() })).json().rows as { __reason: string; fare: string; city: string }[];
    const reasons = rows.map((r) => r.__reason).join('\n');
    expect(reasons).toMatch(/between\(fare\).*-4/);
    expect(reasons).toMatch(/required\(driver_id\)/);
    expect(reasons).toMatch(/type\(ts\).*not a time/);
    expect(reasons).toMatch(/allowed\(city\).*paris/);
    // the accepted rows are where the source's views read them: a training set sees them
    const offline = await (await t.services.offline.get()).query(`SELECT count(*)::INTEGER AS n, sum(fare) AS fare FROM read_parquet('${t.dataDir}/offline/default/push/trips/**/*.parquet', hive_partitioning=true)`);
    expect(offline[0]).toEqual({ n: 3, fare: 95.5 });
    const profile = report.profile.columns.find((c: { column: string }) => c.column === 'fare');
    expect(profile).toMatchObject({ count: 3, nulls: 0, min: 20.5, max: 44 });
    expect(profile.mean).toBeCloseTo(95.5 / 3, 9);
  });

  it('rejects a whole batch when a reject expectation fails, and still loses no row', async () => {
    await applyOk(t, DEFINITIONS([{ expect: 'row_count_between', min: 10, onFailure: 'reject' }]));
    const res = await upload('small.csv', CSV);
    expect(res.statusCode, res.body).toBe(201);
    const report = res.json();
    expect(report).toMatchObject({ status: 'rejected', received: 7, accepted: 0, quarantined: 7, datasetVersion: null });
    expect(report.rejectedReason).toContain('row_count_between');
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/projects/default/ingestions?source=trips', headers: t.auth() })).json().ingestions;
    expect(list.map((i: { status: string }) => i.status)).toEqual(['rejected', 'partial']);
  });

  it('judges distribution shift against the newest accepted profile', async () => {
    await applyOk(t, DEFINITIONS([{ expect: 'mean_shift', column: 'fare', maxRelative: 0.5, onFailure: 'warn' }]));
    const shifted = ['driver_id,ts,fare,city', '8,2026-01-04T10:00:00Z,400,dubai', '9,2026-01-04T11:00:00Z,450,dubai'].join('\n');
    const report = (await upload('shifted.csv', shifted)).json();
    expect(report.status).toBe('accepted');
    const shift = report.results.find((r: { rule: string }) => r.rule.startsWith('mean_shift'));
    expect(shift).toMatchObject({ passed: false, action: 'warn' });
    expect(report.datasetVersion).toBe(2);
  });

  it('checks classification and residency before writing anything, and needs feature:write', async () => {
    const token = (await t.app.inject({ method: 'POST', url: '/api/v1/projects/default/tokens', headers: t.auth(), payload: { role: 'viewer' } })).json().token as string;
    const denied = await t.app.inject({ method: 'POST', url: '/api/v1/projects/default/sources/trips/ingest?format=csv', headers: { ...t.auth(token), 'content-type': 'application/octet-stream' }, payload: Buffer.from(CSV) });
    expect(denied.statusCode).toBe(403);
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/projects/default/sources/nope/ingest?format=csv', headers: { ...t.auth(), 'content-type': 'application/octet-stream' }, payload: Buffer.from(CSV) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('FALAJ_PUSH_SOURCE_NOT_FOUND');
    const audit = await t.services.audit.list({ project: 'default', action: 'data.ingest', limit: 10 });
    expect(audit.length).toBe(3);
    expect(audit[0]!.details).toMatchObject({ status: 'partial', received: 7, accepted: 3, quarantined: 4 });
  });

  it('ingests JSON lines and Parquet too', async () => {
    const path = join(dir, 'trips.jsonl');
    await writeFile(path, [{ driver_id: 20, ts: '2026-01-05T10:00:00Z', fare: 10, city: 'dubai' }, { driver_id: 21, ts: '2026-01-05T10:00:00Z', fare: 11, city: 'abu_dhabi' }].map((r) => JSON.stringify(r)).join('\n'));
    const jsonl = await t.services.ingestions.ingest({ principal: { id: 'admin', kind: 'user', name: 'admin', bindings: [{ project: '*', role: 'admin' }], via: 'token' }, requestId: 'r' }, 'default', 'trips', { path, format: 'jsonl' });
    expect(jsonl).toMatchObject({ received: 2, accepted: 2, quarantined: 0, status: 'accepted' });
    const parquet = join(dir, 'trips.parquet');
    await (await t.services.offline.get()).query(`COPY (SELECT 30::BIGINT AS driver_id, TIMESTAMP '2026-01-06 10:00:00' AS ts, 9.5 AS fare, 'dubai' AS city) TO '${parquet}' (FORMAT parquet)`);
    const pq = await t.services.ingestions.ingest({ principal: { id: 'admin', kind: 'user', name: 'admin', bindings: [{ project: '*', role: 'admin' }], via: 'token' }, requestId: 'r' }, 'default', 'trips', { path: parquet, format: 'parquet' });
    expect(pq).toMatchObject({ received: 1, accepted: 1, status: 'accepted' });
  });
});
