import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedSource } from '../../../src/features/definitions/resolved.js';
import { countLatestValues, latestValuesSql, offlineLatestValues, streamLatestValues } from '../../../src/features/offline/index.js';
import { agg, batchSource, featureView, HOUR, ms, plain, useOfflineWorkspace, writeRows } from './offline-fixtures.js';

const ws = useOfflineWorkspace();
let source: ResolvedSource;

beforeAll(async () => {
  const path = await writeRows(ws.engine(), join(ws.dir(), 'source.parquet'), { id: 'BIGINT', ts: 'TIMESTAMP', created: 'TIMESTAMP', value: 'DOUBLE' }, [
    [1, '2024-01-01 09:00:00', '2024-01-01 09:00:00', 1],
    [1, '2024-01-01 10:00:00', '2024-01-01 10:00:05', 3], // same event time, created later: wins
    [1, '2024-01-01 10:00:00', '2024-01-01 10:00:01', 2],
    [1, '2024-01-01 11:00:00', '2024-01-01 11:00:00', 4],
    [1, '2024-01-01 12:00:00.000001', '2024-01-01 08:00:00', 999], // after end
    [2, '2024-01-01 08:30:00', '2024-01-01 08:30:00', 5], // before start, inside the longest window
    [3, '2024-01-01 07:00:00', '2024-01-01 07:00:00', 7], // before both
    [4, '2024-01-01 12:00:00', '2024-01-01 12:00:00', 6], // exactly at end
    [5, '2024-01-01 09:00:00', '2024-01-01 09:00:00', 8], // exactly at start
    [6, '2024-01-01 10:00:00', '2024-01-01 10:00:00', 1],
    [6, '2024-01-01 11:00:00', '2024-01-01 11:00:00', null], // the latest row's value is null
    [7, '2024-01-01 10:00:00', null, 70], // no created time: loses the tie
    [7, '2024-01-01 10:00:00', '2024-01-01 10:00:01', 71],
    [null, '2024-01-01 11:00:00', '2024-01-01 11:00:00', 100], // no entity
  ]);
  source = batchSource(path, { createdTimestampField: 'created' });
});

const range = { start: new Date(ms('2024-01-01 09:00:00')), end: new Date(ms('2024-01-01 12:00:00')) };
const byId = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.id) - Number(b.id));

describe('latest values for materialization', () => {
  it('gives plain values from the latest row in (start, end] and nothing after end', async () => {
    const view = featureView('v', source, [plain('value')]);
    const rows = byId(await ws.engine().query(latestValuesSql(view, range)));
    expect(rows).toEqual([
      { id: 1, __event_ts: ms('2024-01-01 11:00:00'), value: 4 },
      { id: 4, __event_ts: ms('2024-01-01 12:00:00'), value: 6 },
      { id: 6, __event_ts: ms('2024-01-01 11:00:00'), value: null },
      { id: 7, __event_ts: ms('2024-01-01 10:00:00'), value: 71 },
    ]);
    const early = byId(await ws.engine().query(latestValuesSql(view, { start: range.start, end: ms('2024-01-01 10:30:00') })));
    expect(early).toEqual([
      { id: 1, __event_ts: ms('2024-01-01 10:00:00'), value: 3 },
      { id: 6, __event_ts: ms('2024-01-01 10:00:00'), value: 1 },
      { id: 7, __event_ts: ms('2024-01-01 10:00:00'), value: 71 },
    ]);
  });

  it('computes aggregations as of end over (end - window, end], for every entity active in the longest window', async () => {
    const view = featureView('v', source, [plain('value'), agg('n_1h', 'count', 'value', HOUR, 'int64'), agg('sum_4h', 'sum', 'value', 4 * HOUR), agg('mean_4h', 'mean', 'value', 4 * HOUR), agg('last_1h', 'last', 'value', HOUR)]);
    const rows = byId(await ws.engine().query(latestValuesSql(view, range)));
    expect(rows).toEqual([
      { id: 1, __event_ts: ms('2024-01-01 11:00:00'), value: 4, n_1h: 0, sum_4h: 10, mean_4h: 2.5, last_1h: null },
      { id: 2, __event_ts: ms('2024-01-01 08:30:00'), value: 5, n_1h: 0, sum_4h: 5, mean_4h: 5, last_1h: null },
      { id: 4, __event_ts: ms('2024-01-01 12:00:00'), value: 6, n_1h: 1, sum_4h: 6, mean_4h: 6, last_1h: 6 },
      { id: 5, __event_ts: ms('2024-01-01 09:00:00'), value: 8, n_1h: 0, sum_4h: 8, mean_4h: 8, last_1h: null },
      { id: 6, __event_ts: ms('2024-01-01 11:00:00'), value: null, n_1h: 0, sum_4h: 1, mean_4h: 1, last_1h: null },
      { id: 7, __event_ts: ms('2024-01-01 10:00:00'), value: 71, n_1h: 0, sum_4h: 141, mean_4h: 70.5, last_1h: null },
    ]);
    expect(await countLatestValues(ws.engine(), view, range)).toBe(6);
  });

  it('streams in batches and adapts rows for the online store', async () => {
    const view = featureView('v', source, [plain('value'), agg('n_4h', 'count', 'value', 4 * HOUR, 'int64')]);
    const batches: number[] = [];
    for await (const batch of streamLatestValues(ws.engine(), view, range, { batchSize: 4 })) batches.push(batch.length);
    expect(batches).toEqual([4, 2]);
    const adapter = offlineLatestValues({ get: async () => ws.engine() });
    const out = [];
    for await (const batch of adapter.stream(view, range)) out.push(...batch);
    expect(out.sort((a, b) => Number(a.keys[0]) - Number(b.keys[0]))[0]).toEqual({ keys: [1], eventTs: ms('2024-01-01 11:00:00'), values: { value: 4, n_4h: 4 } });
    expect(await adapter.count(view, range)).toBe(6);
  });

  it('refuses an empty range', () => {
    const view = featureView('v', source, [plain('value')]);
    expect(() => latestValuesSql(view, { start: range.end, end: range.end })).toThrow(expect.objectContaining({ code: 'FALAJ_BAD_REQUEST' }));
  });
});
