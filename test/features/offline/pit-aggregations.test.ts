import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedFeature } from '../../../src/features/definitions/resolved.js';
import { pointInTimeJoin } from '../../../src/features/offline/index.js';
import type { Row } from '../../../src/storage/offline/index.js';
import { agg, batchSource, DAY, featureView, HOUR, readParquet, useOfflineWorkspace, writeRows } from './offline-fixtures.js';

const ws = useOfflineWorkspace();

// Window (T - 1h, T] around T = 12:00. Values outside it are extreme, so any leak shows.
const SOURCE = [
  [1, '2024-01-01 11:00:00', '2024-01-01 11:00:00', 1000], // exactly T - window: excluded
  [1, '2024-01-01 11:00:00.000001', '2024-01-01 11:00:00', 2], // 1 µs inside
  [1, '2024-01-01 11:30:00', '2024-01-01 11:30:00', 4],
  [1, '2024-01-01 11:45:00', '2024-01-01 11:45:00', null], // a null value is not counted
  [1, '2024-01-01 12:00:00', '2024-01-01 12:00:00', 6], // exactly T: included
  [1, '2024-01-01 12:00:00.000001', '2024-01-01 09:00:00', -1000], // 1 µs after T: excluded
  [2, '2024-01-01 11:30:00', '2024-01-01 11:30:00', 500], // another entity
  [null, '2024-01-01 11:30:00', '2024-01-01 11:30:00', 77777], // no entity: matches nothing
];
const SPINE = [
  [1, '2024-01-01 12:00:00'],
  [1, '2024-01-01 12:00:00.000001'],
  [1, '2024-01-01 10:00:00'], // nothing in (09:00, 10:00]
  [9, '2024-01-01 12:00:00'], // unknown entity
  [2, '2024-01-01 12:00:00'],
  [null, '2024-01-01 12:00:00'], // no entity
];
const FUNCTIONS = ['count', 'sum', 'mean', 'min', 'max', 'stddev', 'last'] as const;
const features: ResolvedFeature[] = FUNCTIONS.map((fn) => agg(fn, fn, 'value', HOUR, fn === 'count' ? 'int64' : 'float64'));

let rows: Row[];
beforeAll(async () => {
  const source = await writeRows(ws.engine(), join(ws.dir(), 'source.parquet'), { id: 'BIGINT', ts: 'TIMESTAMP', created: 'TIMESTAMP', value: 'BIGINT' }, SOURCE);
  const spinePath = await writeRows(ws.engine(), join(ws.dir(), 'spine.parquet'), { id: 'BIGINT', event_timestamp: 'TIMESTAMP' }, SPINE);
  const view = featureView('v', batchSource(source, { createdTimestampField: 'created' }), features, { ttlMs: 0 });
  const outPath = join(ws.dir(), 'out.parquet');
  await pointInTimeJoin(ws.engine(), { spinePath, views: [{ view, features }], outPath });
  rows = await readParquet(ws.engine(), outPath);
});

describe('point-in-time join: window aggregations over (t - window, t]', () => {
  const at = (i: number, fn: string) => rows[i]![fn];

  it.each([
    ['count', 3],
    ['sum', 12],
    ['mean', 4],
    ['min', 2],
    ['max', 6],
    ['stddev', 2],
    ['last', 6],
  ])('%s excludes t - window and later rows, includes t', (fn, expected) => {
    expect(at(0, fn)).toBeCloseTo(expected as number, 9);
  });

  it.each([
    ['count', 3],
    ['sum', -990],
    ['mean', -330],
    ['min', -1000],
    ['max', 6],
    ['last', -1000],
  ])('%s 1 µs later drops the row now at the lower bound and takes the one at t', (fn, expected) => {
    expect(at(1, fn)).toBeCloseTo(expected as number, 9);
  });

  it('gives count 0 and null for the rest over an empty window, an unknown entity or a null key', () => {
    for (const i of [2, 3, 5]) expect(FUNCTIONS.map((fn) => at(i, fn))).toEqual([0, null, null, null, null, null, null]);
  });

  it('never mixes entities, and stddev of one value is null', () => {
    expect(FUNCTIONS.map((fn) => at(4, fn))).toEqual([1, 500, 500, 500, 500, null, 500]);
  });
});

describe('point-in-time join: several windows and ties', () => {
  it('computes windows of different lengths in one view, and last breaks ties by created time', async () => {
    const source = await writeRows(ws.engine(), join(ws.dir(), 'multi', 'source.parquet'), { id: 'BIGINT', ts: 'TIMESTAMP', created: 'TIMESTAMP', value: 'DOUBLE' }, [
      [1, '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1],
      [1, '2024-01-01 11:00:00', '2024-01-01 11:00:05', 2],
      [1, '2024-01-01 11:00:00', '2024-01-01 11:00:09', 3], // same event time, created later
      [1, '2024-01-01 11:00:00', '2024-01-01 11:00:01', 4],
      [1, '2024-01-02 00:00:00.000001', '2024-01-01 00:00:00', 1e9], // 1 µs after the last spine row, created early
    ]);
    const spinePath = await writeRows(ws.engine(), join(ws.dir(), 'multi', 'spine.parquet'), { id: 'BIGINT', event_timestamp: 'TIMESTAMP' }, [
      [1, '2024-01-01 11:30:00'],
      [1, '2024-01-02 00:00:00'], // the 1d window now leaves out the row at 00:00 the day before
    ]);
    const fs = [agg('n_1h', 'count', 'value', HOUR, 'int64'), agg('n_1d', 'count', 'value', DAY, 'int64'), agg('sum_1d', 'sum', 'value', DAY), agg('last_2h', 'last', 'value', 2 * HOUR), agg('last_1d', 'last', 'value', DAY)];
    const view = featureView('v', batchSource(source, { createdTimestampField: 'created' }), fs);
    const outPath = join(ws.dir(), 'multi', 'out.parquet');
    await pointInTimeJoin(ws.engine(), { spinePath, views: [{ view, features: fs }], outPath });
    const out = await readParquet(ws.engine(), outPath);
    expect(out.map(({ n_1h, n_1d, sum_1d, last_2h, last_1d }) => [n_1h, n_1d, sum_1d, last_2h, last_1d])).toEqual([
      [3, 4, 10, 3, 3],
      [0, 3, 9, null, 3],
    ]);
  });
});
