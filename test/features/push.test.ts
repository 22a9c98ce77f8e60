import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile as writeBytes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { driver, driverStats, trips } from './fixtures.js';
import { iso, readRows, STORES, storeApp, writeFile, type StoreApp } from './store-app.js';

const OURS = '/api/v1/projects/default/push';
const FEAST = '/push?project=default';
const T = (hhmm: string, day = '2024-06-01') => `${day}T${hhmm}:00.000Z`;
const row = (driver_id: number, ts: string, tripsCount: number, rating = 4.5) => ({ driver_id, ts, trips: tripsCount, rating, city: 'Muscat', fare: 12.5 });

describe.each(STORES)('pushing rows on the $label', (store) => {
  let o: StoreApp;
  let pushDir: string;
  beforeEach(async () => {
    o = await storeApp(store, [driver, trips, driverStats(), { kind: 'FeatureService', name: 'driver_model', features: ['driver_stats:*'] }]);
    pushDir = join(o.t.dataDir, 'offline', 'default', 'push', 'trips');
  });
  afterEach(async () => {
    await o.dispose();
  });

  const push = async (rows: Record<string, unknown>[], to: string) => {
    const res = await o.post(OURS, { pushSource: 'trips', rows, to });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const online = (ids: number[]) => o.online(['driver_stats:*'], { driver_id: ids });
  /** Every Parquet file pushed offline, as `__date=…/part-….parquet`. */
  const files = async () => {
    if (!existsSync(pushDir)) return [];
    const out: string[] = [];
    for (const d of (await readdir(pushDir)).sort()) for (const f of await readdir(join(pushDir, d))) out.push(`${d}/${f}`);
    return out;
  };
  const offlineRows = async () => (await readRows(join(pushDir, '**', '*.parquet'), 'ORDER BY ts, driver_id')).map((r): Record<string, unknown> => ({ ...r, ts: iso((r.ts as Date).getTime()) }));

  it("takes Feast's column-major df; to: online writes only the online store", async () => {
    const res = await o.post(FEAST, {
      push_source_name: 'trips',
      df: { driver_id: [1, 2], ts: [T('10:00'), T('11:00')], trips: [3, 8], rating: [4.9, 3.1], city: ['Muscat', 'Sohar'], fare: [10, 20] },
      to: 'online',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ accepted: 2, quarantined: 0, problems: [], onlineWritten: 2, onlineSkipped: 0, offlineRows: 0, ignoredColumns: [] });
    const f = await online([1, 2]);
    expect(f.trips_today).toEqual({ values: [3, 8], statuses: ['PRESENT', 'PRESENT'], eventTimestamps: [T('10:00'), T('11:00')] });
    expect(f.avg_rating!.values).toEqual([4.9, 3.1]);
    expect(await files()).toEqual([]);
  });

  it('to: offline writes only date-partitioned Parquet files', async () => {
    const body = await push([row(1, T('23:30', '2024-05-31'), 2), row(1, T('10:00'), 3), row(2, '2024-06-01 11:00:00', 8)], 'offline');
    expect(body).toMatchObject({ accepted: 3, offlineRows: 3, onlineWritten: 0 });
    const written = await files();
    expect(written.map((f) => f.split('/')[0])).toEqual(['__date=2024-05-31', '__date=2024-06-01']);
    for (const f of written) expect(f).toMatch(/\/part-[0-9a-f-]+\.parquet$/);
    expect((await offlineRows()).map((r) => [r.driver_id, r.ts, r.trips])).toEqual([
      [1, T('23:30', '2024-05-31'), 2],
      [1, T('10:00'), 3],
      [2, T('11:00'), 8],
    ]);
    expect((await online([1, 2])).trips_today!.statuses).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });

  it('to: online_and_offline writes both, through either route', async () => {
    expect(await push([row(1, T('10:00'), 3)], 'online_and_offline')).toMatchObject({ offlineRows: 1, onlineWritten: 1 });
    const feast = await o.post(FEAST, { push_source_name: 'trips', df: { driver_id: [2], ts: [T('11:00')], trips: [8] }, to: 'online_and_offline' });
    expect(feast.json()).toMatchObject({ accepted: 1, offlineRows: 1, onlineWritten: 1 });
    expect((await online([1, 2])).trips_today!.values).toEqual([3, 8]);
    expect((await online([2])).avg_rating!.statuses).toEqual(['NULL_VALUE']); // a column not sent is a null, not an error
    expect((await offlineRows()).map((r) => [r.driver_id, r.trips, r.rating])).toEqual([
      [1, 3, 4.5],
      [2, 8, null],
    ]);
  });

  it('quarantines invalid rows with their reason and still writes the valid ones', async () => {
    const body = await push(
      [
        row(1, T('10:00'), 3),
        { ...row(2, T('10:00'), 0), trips: 'many' },
        { ts: T('10:00'), trips: 1 }, // no driver_id
        row(3, 'yesterday', 4),
        row(4, T('10:30'), 6),
        { driver_id: 5, ts: null, trips: 2 },
      ],
      'online_and_offline',
    );
    expect(body).toMatchObject({ accepted: 2, quarantined: 4, onlineWritten: 2, offlineRows: 2 });
    expect(body.problems).toEqual([
      { row: 1, reason: expect.stringMatching(/trips.*integer/) },
      { row: 2, reason: expect.stringMatching(/driver_id.*missing/) },
      { row: 3, reason: expect.stringMatching(/ts.*timestamp/) },
      { row: 5, reason: expect.stringMatching(/ts.*missing/) },
    ]);
    const quarantined = await o.t.services.database.db.selectFrom('push_quarantine').selectAll().orderBy('reason').execute();
    expect(quarantined.map((q) => [q.project, q.push_source, JSON.parse(q.row).trips ?? null])).toEqual([
      ['default', 'trips', 1], // column driver_id is missing…
      ['default', 'trips', 'many'], // column trips must be…
      ['default', 'trips', 2], // column ts is missing…
      ['default', 'trips', 4], // column ts must be…
    ]);
    expect(quarantined.map((q) => q.reason).sort()).toEqual(body.problems.map((p: { reason: string }) => p.reason).sort());
    expect((await online([1, 2, 3, 4, 5])).trips_today!.statuses).toEqual(['PRESENT', 'NOT_FOUND', 'NOT_FOUND', 'PRESENT', 'NOT_FOUND']);
    expect((await offlineRows()).map((r) => r.driver_id)).toEqual([1, 4]);
  });

  it('only a newer event overwrites online; an older push is skipped', async () => {
    await push([row(1, T('10:00'), 3)], 'online');
    expect(await push([row(1, T('11:00'), 5, 4.0)], 'online')).toMatchObject({ onlineWritten: 1, onlineSkipped: 0 });
    expect(await push([row(1, T('09:00'), 1, 1.0), row(1, T('11:00'), 6, 1.0)], 'online')).toMatchObject({ onlineWritten: 0, onlineSkipped: 2 });
    const f = await online([1]);
    expect([f.trips_today!.values, f.avg_rating!.values, f.trips_today!.eventTimestamps]).toEqual([[5], [4.0], [T('11:00')]]);
  });

  it('answers 404 for an unknown push source and names columns outside the schema', async () => {
    for (const res of [
      await o.post(OURS, { pushSource: 'nope', rows: [row(1, T('10:00'), 3)], to: 'online' }),
      await o.post(FEAST, { push_source_name: 'nope', df: { driver_id: [1] }, to: 'online' }),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('FALAJ_PUSH_SOURCE_NOT_FOUND');
    }
    const body = await push([{ ...row(1, T('10:00'), 3), colour: 'red', speed: 90 }], 'online');
    expect(body).toMatchObject({ accepted: 1, quarantined: 0, ignoredColumns: ['colour', 'speed'] });
  });

  it('pushed offline rows feed a point-in-time training set: null before the event, the value after', async () => {
    await push([row(7, T('10:00'), 5, 4.25), row(7, T('12:00'), 9, 3.75)], 'offline');
    const dir = await mkdtemp(join(tmpdir(), 'falaj-push-spine-'));
    try {
      const spine = await writeFile(join(dir, 'spine.parquet'), `SELECT * FROM (VALUES (1, 7::BIGINT, TIMESTAMP '2024-06-01 09:59:59'), (2, 7, TIMESTAMP '2024-06-01 10:00:00'),
        (3, 7, TIMESTAMP '2024-06-01 11:59:00'), (4, 7, TIMESTAMP '2024-06-01 12:30:00')) AS t(n, driver_id, event_timestamp)`);
      const { readFile } = await import('node:fs/promises');
      const res = await o.t.app.inject({
        method: 'POST',
        url: '/api/v1/projects/default/datasets?featureService=driver_model',
        headers: { ...o.t.auth(), 'content-type': 'application/octet-stream' },
        payload: await readFile(spine),
      });
      expect(res.statusCode, res.body).toBe(201);
      const data = await o.t.app.inject({ method: 'GET', url: `/api/v1/projects/default/datasets/${res.json().id}/data`, headers: o.t.auth() });
      const out = join(dir, 'out.parquet');
      await writeBytes(out, data.rawPayload);
      expect((await readRows(out)).map((r) => [r.n, r.trips_today, r.avg_rating])).toEqual([
        [1, null, null],
        [2, 5, 4.25],
        [3, 5, 4.25],
        [4, 9, 3.75],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
