import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile as writeBytes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOk, driver, type Spec } from './fixtures.js';
import { readRows, STORES, storeApp, writeFile, type StoreApp } from './store-app.js';

const URL = '/api/v1/projects/default/datasets';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const source: (dir: string) => Spec = (dir) => ({ kind: 'BatchSource', name: 'trip_log', path: join(dir, 'trip_log.parquet'), timestampField: 'ts', classification: 'public' });
const view = (name: string, ttl: string, features: object[]): Spec => ({ kind: 'FeatureView', name, entities: ['driver'], source: 'trip_log', ttl, online: false, classification: 'public', features });
const DEFINITIONS = (dir: string, description = 'trips'): Spec[] => [
  driver,
  source(dir),
  { ...view('driver_daily', '1d', [{ name: 'trips', type: 'int64' }]), description },
  view('driver_forever', '0', [
    { name: 'lifetime_rating', type: 'float64', column: 'rating' },
    { name: 'trips_max_7d', type: 'int64', aggregation: { function: 'max', column: 'trips', window: '7d' } },
  ]),
  { kind: 'FeatureService', name: 'driver_model', features: ['driver_daily:*', 'driver_forever:*'] },
];

/** Spine rows (n, driver_id, event_timestamp), deliberately not in time order, and what each must get. */
const SPINE: [number, number, string][] = [
  [1, 1, '2024-06-01 14:00:00'],
  [2, 1, '2024-06-01 09:00:00'],
  [3, 2, '2024-06-01 12:00:00'],
  [4, 1, '2024-06-02 14:00:00'],
  [5, 1, '2024-06-01 12:00:00'],
  [6, 1, '2024-06-02 13:00:00'],
];
/** [n, trips, lifetime_rating, trips_max_7d] */
const EXPECTED = [
  [1, 5, 3.0, 5], // an event exactly at the row's time is used
  [2, null, null, null], // before driver 1's first event: nothing, and not the later ones
  [3, null, 2.0, 9], // driver 2's 05-29 row: outside the 1d TTL, inside the 7d window and the unbounded view
  [4, null, 3.0, 5], // 06-02 14:00: the 06-01 14:00 row is exactly one TTL old, so expired (ttl is exclusive)
  [5, 3, 4.0, 3], // 12:00: the 10:00 row, not the 14:00 one
  [6, 5, 3.0, 5], // 06-02 13:00: the 06-01 14:00 row is 23h old, within the TTL
];
const spineSql = (rows = SPINE) =>
  `SELECT * FROM (VALUES ${rows.map(([n, id, ts]) => `(${n}, ${id}::BIGINT, TIMESTAMP '${ts}')`).join(', ')}) AS t(n, driver_id, event_timestamp)`;

describe.each(STORES)('training sets on the $label', (store) => {
  let o: StoreApp;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-datasets-'));
    await writeFile(
      join(dir, 'trip_log.parquet'),
      `SELECT * FROM (VALUES (1::BIGINT, TIMESTAMP '2024-06-01 10:00:00', 3::BIGINT, 4.0::DOUBLE), (1, TIMESTAMP '2024-06-01 14:00:00', 5, 3.0),
        (2, TIMESTAMP '2024-05-29 08:00:00', 9, 2.0)) AS t(driver_id, ts, trips, rating)`,
    );
    o = await storeApp(store, DEFINITIONS(dir));
    await applyOk(o.t, DEFINITIONS(dir, 'trips per driver')); // driver_daily v2
  });
  afterAll(async () => {
    await o?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = (body: Buffer | string | object, query = 'featureService=driver_model', contentType = 'application/octet-stream') =>
    o.t.app.inject({ method: 'POST', url: `${URL}?${query}`, headers: { ...o.t.auth(), 'content-type': contentType }, payload: body as Buffer });
  const download = async (id: string) => {
    const res = await o.t.app.inject({ method: 'GET', url: `${URL}/${id}/data`, headers: o.t.auth() });
    expect(res.statusCode, res.body).toBe(200);
    const path = join(dir, `${id}.parquet`);
    await writeBytes(path, res.rawPayload);
    return { res, bytes: res.rawPayload, rows: await readRows(path) };
  };
  const values = (rows: Record<string, unknown>[]) => rows.map((r) => [r.n, r.trips, r.lifetime_rating, r.trips_max_7d]);
  const listIds = async () => (await o.t.app.inject({ method: 'GET', url: URL, headers: o.t.auth() })).json().datasets.map((d: { id: string }) => d.id);

  it('builds and registers a training set from a Parquet spine, and serves exactly the registered bytes', async () => {
    const spine = await readFile(await writeFile(join(dir, 'spine.parquet'), spineSql()));
    const res = await upload(spine);
    expect(res.statusCode, res.body).toBe(201);
    const ds = res.json();
    expect(ds).toMatchObject({
      id: expect.stringMatching(/^ds_[0-9a-z]{26}$/),
      project: 'default',
      featureService: 'driver_model',
      featureServiceVersion: 1,
      viewVersions: { driver_daily: 2, driver_forever: 1 },
      spineDigest: sha256(spine),
      rowCount: SPINE.length,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const { res: data, bytes, rows } = await download(ds.id);
    expect(sha256(bytes)).toBe(ds.sha256);
    expect(data.headers['x-falaj-sha256']).toBe(ds.sha256);
    expect(bytes.length).toBe(ds.bytes);
    expect(values(rows)).toEqual(EXPECTED);
    expect(rows.map((r) => r.driver_id)).toEqual(SPINE.map(([, id]) => id));

    const build = (await o.audit('dataset.build')).filter((e) => e.resource === `dataset/${ds.id}`);
    expect(build).toHaveLength(1);
    expect(build[0]!.details).toMatchObject({ featureService: 'driver_model', rows: SPINE.length, sha256: ds.sha256, spineDigest: ds.spineDigest });
    expect((await o.audit('dataset.read')).filter((e) => e.resource === `dataset/${ds.id}`)).toHaveLength(1);

    expect(await listIds()).toContain(ds.id);
    const one = await o.t.app.inject({ method: 'GET', url: `${URL}/${ds.id}`, headers: o.t.auth() });
    expect(one.json()).toEqual(ds);
  });

  it('takes a CSV spine with format=csv (media type with a parameter) and joins the same values', async () => {
    const spine = await readFile(await writeFile(join(dir, 'spine.csv'), spineSql()));
    const res = await upload(spine, 'featureService=driver_model&format=csv', 'Application/Octet-Stream; charset=binary');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ rowCount: SPINE.length, spineDigest: sha256(spine) });
    expect(values((await download(res.json().id)).rows)).toEqual(EXPECTED);
  });

  it('refuses a JSON body, an unknown feature service, and spines without event_timestamp or a join key, registering nothing', async () => {
    const before = await listIds();
    const json = await upload({ rows: [] }, 'featureService=driver_model', 'application/json');
    expect(json.statusCode).toBe(415);
    expect(json.json().code).toBe('FALAJ_UNSUPPORTED_MEDIA_TYPE');
    expect(json.json().detail).toMatch(/application\/octet-stream/);

    const spine = await readFile(await writeFile(join(dir, 'spine-3.parquet'), spineSql()));
    const unknown = await upload(spine, 'featureService=no_such_service');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('FALAJ_FEATURE_SERVICE_NOT_FOUND');

    const noTs = await upload(await readFile(await writeFile(join(dir, 'no-ts.parquet'), 'SELECT 1::BIGINT AS driver_id, TIMESTAMP \'2024-06-01 12:00:00\' AS ts')));
    expect(noTs.statusCode).toBe(400);
    expect(noTs.json()).toMatchObject({ code: 'FALAJ_SPINE_INVALID', detail: expect.stringContaining('event_timestamp') });
    const noKey = await upload(await readFile(await writeFile(join(dir, 'no-key.parquet'), 'SELECT 1::BIGINT AS driver, TIMESTAMP \'2024-06-01 12:00:00\' AS event_timestamp')));
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json()).toMatchObject({ code: 'FALAJ_SPINE_INVALID', detail: expect.stringContaining('driver_id') });

    expect(await listIds()).toEqual(before);
    const kept = (await readdir(join(o.t.dataDir, 'datasets', 'default'))).filter((f) => f.endsWith('.parquet'));
    expect(kept.sort()).toEqual(before.map((id: string) => `${id}.parquet`).sort()); // no half-built output left behind
    const spines = join(o.t.dataDir, 'tmp', 'spines');
    expect(existsSync(spines) ? await readdir(spines) : []).toEqual([]); // uploads removed
  });
});
