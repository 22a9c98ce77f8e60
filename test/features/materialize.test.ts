import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLease } from '../../src/storage/metadata/index.js';
import { applyOk, driver, type Spec } from './fixtures.js';
import { STORES, storeApp, writeFile, type StoreApp } from './store-app.js';

const EPOCH = '1970-01-01T00:00:00.000Z';
const ALL = ['driver_rides:*', 'driver_recent:*'];
const RESIDENCY = { regions: { local: { inCountry: true }, 'eu-west-1': { inCountry: false } }, 'online.region': 'eu-west-1' };

const rides = (dir: string): Spec => ({ kind: 'BatchSource', name: 'rides', path: join(dir, 'rides', '*.parquet'), timestampField: 'ts', classification: 'public' });
/** TTL 0: a plain feature and three aggregations. Stamped online with the window's end. */
const ridesView = (overrides: Partial<Spec> = {}): Spec => ({
  kind: 'FeatureView',
  name: 'driver_rides',
  entities: ['driver'],
  source: 'rides',
  ttl: '0',
  classification: 'public',
  features: [
    { name: 'trips', type: 'int64' },
    { name: 'rides_1d', type: 'int64', aggregation: { function: 'count', column: 'trips', window: '1d' } },
    { name: 'rating_mean_1d', type: 'float64', aggregation: { function: 'mean', column: 'rating', window: '1d' } },
    { name: 'trips_sum_12h', type: 'int64', aggregation: { function: 'sum', column: 'trips', window: '12h' } },
  ],
  ...overrides,
});
/** TTL 1d, plain features only: stamped online with the latest event's time. */
const recentView: Spec = { ...ridesView(), name: 'driver_recent', ttl: '1d', features: [{ name: 'rating', type: 'float64' }] };

/** Rows (driver_id, ts, trips, rating) as a Parquet file of the rides source. */
async function ridesFile(dir: string, name: string, rows: [number, string, number, number][]) {
  const values = rows.map(([id, ts, trips, rating]) => `(${id}::BIGINT, TIMESTAMP '${ts}', ${trips}::BIGINT, ${rating}::DOUBLE)`).join(', ');
  await writeFile(join(dir, 'rides', `${name}.parquet`), `SELECT * FROM (VALUES ${values}) AS t(driver_id, ts, trips, rating)`);
}

const BASE: [number, string, number, number][] = [
  [1, '2024-06-01 01:00:00', 1, 4.0],
  [1, '2024-06-01 05:00:00', 2, 3.0],
  [1, '2024-06-01 10:00:00', 3, 5.0],
  [1, '2024-06-01 14:00:00', 4, 2.0], // after every window's end but the last: must never leak
  [2, '2024-05-30 12:00:00', 10, 1.0],
  [2, '2024-06-01 12:00:00', 20, 4.5], // exactly at the end: included
  [3, '2024-05-31 06:00:00', 7, 3.5],
  [5, '2024-06-01 00:00:00', 50, 2.5], // exactly at the start: excluded (unless an aggregation window reaches back)
];

const byType = (lines: any[], type: string) => lines.filter((l) => l.type === type);
const viewLine = (lines: any[], type: string, view: string) => lines.find((l) => l.type === type && l.view === view);

describe.each(STORES)('materialization on the $label', (store) => {
  let o: StoreApp;
  let dir: string;
  const setup = async (flags: Record<string, unknown> = {}, views: Spec[] = [ridesView(), recentView]) => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-mat-'));
    await ridesFile(dir, 'a', BASE);
    o = await storeApp(store, [driver, rides(dir), ...views], flags);
  };
  afterEach(async () => {
    await o?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  describe('over a window', () => {
    beforeEach(() => setup());

    it('writes the latest value per entity in (start, end], aggregations as of end, served PRESENT online', async () => {
      const { statusCode, lines } = await o.materialize({ start: '2024-06-01T00:00:00Z', end: '2024-06-01T12:00:00Z' });
      expect(statusCode).toBe(200);
      expect(byType(lines, 'error')).toEqual([]);
      expect(viewLine(lines, 'view-start', 'driver_rides')).toMatchObject({ version: 1, start: '2024-06-01T00:00:00.000Z', end: '2024-06-01T12:00:00.000Z', total: 3 });
      expect(viewLine(lines, 'view-done', 'driver_rides')).toMatchObject({ rows: 3, written: 3, skipped: 0 });
      expect(viewLine(lines, 'view-done', 'driver_recent')).toMatchObject({ rows: 2, written: 2, skipped: 0 });
      expect(lines.at(-1)).toEqual({ type: 'done', views: 2, rows: 5 });

      const f = await o.online(ALL, { driver_id: [1, 2, 3, 5] });
      expect(f.trips!.values).toEqual([3, 20, null, 50]);
      expect(f.trips!.statuses).toEqual(['PRESENT', 'PRESENT', 'NOT_FOUND', 'PRESENT']);
      // a view with aggregations holds values true as of the window's end
      expect(f.trips!.eventTimestamps).toEqual(['2024-06-01T12:00:00.000Z', '2024-06-01T12:00:00.000Z', EPOCH, '2024-06-01T12:00:00.000Z']);
      // (05-31 12:00, 06-01 12:00]: driver 1 has 01:00, 05:00, 10:00 (not 14:00); driver 2 not its 05-30 row
      expect(f.rides_1d!.values).toEqual([3, 1, null, 1]);
      expect(f.rating_mean_1d!.values).toEqual([4, 4.5, null, 2.5]);
      // (00:00, 12:00] leaves out driver 5's row at 00:00
      expect(f.trips_sum_12h!.values).toEqual([6, 20, null, null]);
      expect(f.trips_sum_12h!.statuses).toEqual(['PRESENT', 'PRESENT', 'NOT_FOUND', 'NULL_VALUE']);
      // driver_recent (plain, TTL 1d, clock 13:00): (start, end] leaves out driver 5; event times kept
      expect(f.rating!.values).toEqual([5, 4.5, null, null]);
      expect(f.rating!.eventTimestamps).toEqual(['2024-06-01T10:00:00.000Z', '2024-06-01T12:00:00.000Z', EPOCH, EPOCH]);

      const audits = await o.audit('feature.materialize');
      expect(audits.map((a) => a.resource).sort()).toEqual(['FeatureView/driver_recent', 'FeatureView/driver_rides']);
      expect(audits.find((a) => a.resource === 'FeatureView/driver_rides')!.details).toMatchObject({
        version: 1, start: '2024-06-01T00:00:00.000Z', end: '2024-06-01T12:00:00.000Z', rows: 3, written: 3, skipped: 0,
      });
    });

    it('an older window writes nothing over newer values: only a newer event overwrites', async () => {
      await o.materialize({ start: '2024-06-01T00:00:00Z', end: '2024-06-01T12:00:00Z' });
      const { lines } = await o.materialize({ start: '2024-05-30T00:00:00Z', end: '2024-05-31T18:00:00Z' });
      // driver 2's 05-30 row is older than what is stored; driver 3 is new
      for (const view of ['driver_rides', 'driver_recent']) expect(viewLine(lines, 'view-done', view)).toMatchObject({ rows: 2, written: 1, skipped: 1 });
      const f = await o.online(ALL, { driver_id: [2, 3] });
      expect(f.trips!.values).toEqual([20, 7]);
      expect(f.rides_1d!.values).toEqual([1, 1]);
      expect(f.rating_mean_1d!.values).toEqual([4.5, 3.5]);
      expect(f.trips!.eventTimestamps).toEqual(['2024-06-01T12:00:00.000Z', '2024-05-31T18:00:00.000Z']);
      expect(f.rating!.values).toEqual([4.5, null]);
      expect(f.rating!.statuses).toEqual(['PRESENT', 'OUTSIDE_MAX_AGE']); // 05-31 06:00 is over a day before the clock's 06-01 13:00
    });

    it('answers bad input: start not before end is a 400, an unknown view an error line', async () => {
      for (const start of ['2024-06-01T12:00:00Z', '2024-06-02T00:00:00Z']) {
        const res = await o.materialize({ start, end: '2024-06-01T12:00:00Z' });
        expect(res.statusCode).toBe(400);
        expect(res.lines[0].code).toBe('FALAJ_BAD_REQUEST');
      }
      expect((await o.materialize({ start: 'not a time at all', end: '2024-06-01T12:00:00Z' })).statusCode).toBe(400);
      expect((await o.materialize({ end: '2024-06-01T12:00:00Z' })).lines[0]).toMatchObject({ status: 400, detail: expect.stringMatching(/start/) });
      const unknown = await o.materialize({ start: '2024-06-01T00:00:00Z', end: '2024-06-01T12:00:00Z', views: ['no_such_view'] });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.lines[0]).toMatchObject({ code: 'FALAJ_FEATURE_VIEW_NOT_FOUND' });
      expect(unknown.lines[0].detail).toContain('no_such_view');
      expect((await o.online(['driver_rides:trips'], { driver_id: [1] })).trips!.statuses).toEqual(['NOT_FOUND']);
      expect(await o.audit('feature.materialize')).toEqual([]);
    });

    it('skips a view leased by another replica, and answers 409 when that view alone was asked for', async () => {
      expect(await acquireLease(o.t.services.database.db, 'materialize:default:driver_rides', 'someone-else', 60_000, o.clock.now())).toBe(true);
      const alone = await o.materialize({ start: '2024-06-01T00:00:00Z', end: '2024-06-01T12:00:00Z', views: ['driver_rides'] });
      expect(alone.lines.at(-1)).toMatchObject({ type: 'error', problem: { status: 409, code: 'FALAJ_MATERIALIZATION_BUSY' } });
      expect(byType(alone.lines, 'view-start')).toEqual([]);

      const all = await o.materialize({ start: '2024-06-01T00:00:00Z', end: '2024-06-01T12:00:00Z' });
      expect(viewLine(all.lines, 'view-skipped', 'driver_rides')).toMatchObject({ reason: expect.stringMatching(/another replica/) });
      expect(viewLine(all.lines, 'view-done', 'driver_recent')).toMatchObject({ rows: 2 });
      expect(all.lines.at(-1)).toEqual({ type: 'done', views: 2, rows: 2 });
      const f = await o.online(ALL, { driver_id: [1] });
      expect(f.trips!.statuses).toEqual(['NOT_FOUND']);
      expect(f.rating!.values).toEqual([5]);
      // the other replica's lease is untouched: still theirs
      expect(await acquireLease(o.t.services.database.db, 'materialize:default:driver_rides', 'a-third-one', 60_000, o.clock.now())).toBe(false);
    });
  });

  it('continues incrementally from stored watermarks, and starts over for a new view version', async () => {
    await setup();
    o.clock.set(new Date('2024-06-01T14:00:00Z'));
    const first = await o.materialize({ incremental: true, end: '2024-06-01T12:00:00Z' });
    expect(byType(first.lines, 'error')).toEqual([]);
    expect(viewLine(first.lines, 'view-start', 'driver_rides').start).toBe(EPOCH); // TTL 0: from the beginning
    expect(viewLine(first.lines, 'view-start', 'driver_recent').start).toBe('2024-05-31T12:00:00.000Z'); // end - TTL
    expect(viewLine(first.lines, 'view-done', 'driver_rides')).toMatchObject({ rows: 4 }); // drivers 1, 2, 3 and 5
    expect(viewLine(first.lines, 'view-done', 'driver_recent')).toMatchObject({ rows: 3 }); // not driver 3 (05-31 06:00)
    const marks = await o.t.services.database.db.selectFrom('feature_watermarks').select(['view', 'version', 'watermark']).where('project', '=', 'default').orderBy('view').execute();
    expect(marks).toEqual([
      { view: 'driver_recent', version: 1, watermark: '2024-06-01T12:00:00.000Z' },
      { view: 'driver_rides', version: 1, watermark: '2024-06-01T12:00:00.000Z' },
    ]);
    let f = await o.online(['driver_rides:*'], { driver_id: [3] });
    expect([f.trips!.values, f.rides_1d!.values, f.rating_mean_1d!.statuses]).toEqual([[7], [0], ['NULL_VALUE']]);

    await ridesFile(dir, 'b', [
      [1, '2024-06-01 13:00:00', 9, 1.0],
      [4, '2024-06-01 12:30:00', 40, 4.0],
    ]);
    const second = await o.materialize({ incremental: true, end: '2024-06-01T13:30:00Z' });
    for (const view of ['driver_rides', 'driver_recent']) expect(viewLine(second.lines, 'view-start', view).start).toBe('2024-06-01T12:00:00.000Z');
    // aggregations of drivers 1, 2, 4 and 5 as of 13:30 replace those as of 12:00, new events or not
    expect(viewLine(second.lines, 'view-done', 'driver_rides')).toMatchObject({ rows: 4, written: 4, skipped: 0 });
    expect(viewLine(second.lines, 'view-done', 'driver_recent')).toMatchObject({ rows: 2, written: 2, skipped: 0 });
    f = await o.online(ALL, { driver_id: [1, 4, 2] });
    expect(f.trips!.values).toEqual([9, 40, 20]);
    expect(f.trips!.eventTimestamps).toEqual(Array(3).fill('2024-06-01T13:30:00.000Z'));
    expect(f.rides_1d!.values).toEqual([4, 1, 1]); // (05-31 13:30, 06-01 13:30]
    expect(f.rating_mean_1d!.values).toEqual([3.25, 4, 4.5]); // (4 + 3 + 5 + 1) / 4
    expect(f.trips_sum_12h!.values).toEqual([14, 40, 20]); // (01:30, 13:30]: 2 + 3 + 9
    expect(f.rating!.values).toEqual([1, 4, 4.5]);
    expect(f.rating!.eventTimestamps).toEqual(['2024-06-01T13:00:00.000Z', '2024-06-01T12:30:00.000Z', '2024-06-01T12:00:00.000Z']);

    await applyOk(o.t, [driver, rides(dir), ridesView({ features: [...(ridesView().features as object[]), { name: 'rating', type: 'float64' }] }), recentView]);
    const third = await o.materialize({ incremental: true, end: '2024-06-01T14:30:00Z' });
    expect(viewLine(third.lines, 'view-start', 'driver_rides')).toMatchObject({ version: 2, start: EPOCH });
    expect(viewLine(third.lines, 'view-start', 'driver_recent')).toMatchObject({ version: 1, start: '2024-06-01T13:30:00.000Z' });
    expect(viewLine(third.lines, 'view-done', 'driver_rides')).toMatchObject({ rows: 5 });
    f = await o.online(['driver_rides:*'], { driver_id: [1] });
    expect([f.trips!.values, f.rating!.values]).toEqual([[4], [2]]); // the 14:00 row, now in the window
  });

  it('refuses a personal view for an online store outside the allowed regions, before writing anything', async () => {
    await setup(RESIDENCY, [recentView, ridesView({ classification: 'personal' })]);
    await o.allowOnly(['local']);
    const { lines } = await o.materialize({ start: '2024-06-01T00:00:00Z', end: '2024-06-01T12:00:00Z' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: 'error', problem: { code: 'FALAJ_POLICY_RESIDENCY' } });
    const f = await o.online(ALL, { driver_id: [1, 2] });
    for (const name of ['trips', 'rating']) expect(f[name]!.statuses).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    const violations = await o.audit('policy.violation');
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ resource: 'FeatureView/driver_rides', outcome: 'denied' });
    expect(violations[0]!.details).toMatchObject({ classification: 'personal', store: 'online', region: 'eu-west-1' });
    expect(await o.audit('feature.materialize')).toEqual([]);

    await o.allowOnly(['local', 'eu-west-1']);
    expect((await o.materialize({ start: '2024-06-01T00:00:00Z', end: '2024-06-01T12:00:00Z' })).lines.at(-1)).toMatchObject({ type: 'done', views: 2 });
  });
});
