import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pointInTimeJoin } from '../../../src/features/offline/index.js';
import { batchSource, featureView, HOUR, ms, plain, readParquet, useOfflineWorkspace, writeRows } from './offline-fixtures.js';

const ws = useOfflineWorkspace();
const SPINE = { id: 'BIGINT', event_timestamp: 'TIMESTAMP' };

async function build(name: string, source: { columns: Record<string, string>; rows: unknown[][] }, spine: unknown[][], options: Parameters<typeof featureView>[3] & { created?: boolean; features?: ReturnType<typeof plain>[]; spineColumns?: Record<string, string> } = {}) {
  const path = await writeRows(ws.engine(), join(ws.dir(), name, 'source.parquet'), source.columns, source.rows);
  const spinePath = await writeRows(ws.engine(), join(ws.dir(), name, 'spine.parquet'), options.spineColumns ?? SPINE, spine);
  const view = featureView('v', batchSource(path, options.created ? { createdTimestampField: 'created' } : {}), options.features ?? [plain('value')], options);
  const outPath = join(ws.dir(), name, 'out.parquet');
  const result = await pointInTimeJoin(ws.engine(), { spinePath, views: [{ view, features: view.features }], outPath });
  return { result, rows: await readParquet(ws.engine(), outPath) };
}

describe('point-in-time join: plain features', () => {
  it('takes the latest row at or before the row time and never a later one', async () => {
    const { rows } = await build(
      'latest',
      {
        columns: { id: 'BIGINT', ts: 'TIMESTAMP', value: 'DOUBLE' },
        rows: [
          [1, '2024-01-01 10:00:00', 1],
          [1, '2024-01-01 11:00:00', 2],
          [1, '2024-01-01 12:00:00.001', 999], // 1 ms after the row at 12:00
          [1, '2024-01-01 12:00:00.000001', 998], // 1 µs after
          [2, '2024-01-01 09:00:00', 5],
        ],
      },
      [
        [1, '2024-01-01 12:00:00'],
        [1, '2024-01-01 11:00:00'],
        [1, '2024-01-01 10:59:59.999999'],
        [1, '2024-01-01 09:00:00'],
        [2, '2024-01-01 12:00:00'],
        [3, '2024-01-01 12:00:00'],
        [null, '2024-01-01 12:00:00'],
      ],
    );
    expect(rows.map((r) => r.value)).toEqual([2, 2, 1, null, 5, null, null]);
  });

  it('breaks ties on event time by the latest created time, wherever the row lies in the file', async () => {
    const columns = { id: 'BIGINT', ts: 'TIMESTAMP', created: 'TIMESTAMP', value: 'DOUBLE' };
    const { rows } = await build(
      'ties',
      {
        columns,
        rows: [
          [1, '2024-01-01 10:00:00', '2024-01-01 10:05:00', 1],
          [1, '2024-01-01 10:00:00', '2024-01-01 10:30:00', 2], // the correction: created last
          [1, '2024-01-01 10:00:00', '2024-01-01 10:10:00', 3],
          [1, '2024-01-01 11:00:00', '2024-01-01 09:00:00', 4], // created early, but its event is later
          [1, '2024-01-01 10:30:00.000001', '2024-01-01 08:00:00', 999], // 1 µs after a spine row
          [2, '2024-01-01 10:00:00', null, 7],
          [2, '2024-01-01 10:00:00', '2024-01-01 10:01:00', 8],
        ],
      },
      [
        [1, '2024-01-01 10:00:00'],
        [1, '2024-01-01 10:30:00'],
        [1, '2024-01-01 11:00:00'],
        [2, '2024-01-01 10:00:00'],
      ],
      { created: true },
    );
    expect(rows.map((r) => r.value)).toEqual([2, 2, 4, 8]);
  });

  it('drops a value no newer than row time - ttl, and keeps one just inside', async () => {
    const source = { columns: { id: 'BIGINT', ts: 'TIMESTAMP', value: 'DOUBLE' }, rows: [[1, '2024-01-01 10:00:00', 1]] };
    const spine = [
      [1, '2024-01-01 11:00:00'], // exactly ttl later: expired
      [1, '2024-01-01 10:59:59.999'],
      [1, '2024-01-01 10:00:00'],
      [1, '2030-01-01 00:00:00'],
    ];
    const bounded = await build('ttl', source, spine, { ttlMs: HOUR });
    expect(bounded.rows.map((r) => r.value)).toEqual([null, 1, 1, null]);
    const unbounded = await build('ttl0', source, spine, { ttlMs: 0 });
    expect(unbounded.rows.map((r) => r.value)).toEqual([1, 1, 1, 1]);
  });

  it('matches composite keys on every part, reading renamed source columns', async () => {
    const { rows, result } = await build(
      'composite',
      {
        columns: { src_airport: 'VARCHAR', dst: 'VARCHAR', ts: 'TIMESTAMP', value: 'DOUBLE' },
        rows: [
          ['JFK', 'LAX', '2024-01-01 10:00:00', 1],
          ['LAX', 'JFK', '2024-01-01 10:00:00', 2],
          ['JFK', 'SFO', '2024-01-01 11:00:00', 3],
        ],
      },
      [
        ['JFK', 'LAX', '2024-01-01 12:00:00'],
        ['LAX', 'JFK', '2024-01-01 12:00:00'],
        ['JFK', 'SFO', '2024-01-01 10:30:00'],
        ['SFO', 'JFK', '2024-01-01 12:00:00'],
      ],
      { joinKeys: ['origin', 'destination'], columns: { origin: 'src_airport', destination: 'dst' }, spineColumns: { origin: 'VARCHAR', destination: 'VARCHAR', event_timestamp: 'TIMESTAMP' } },
    );
    expect(result.columns).toEqual(['origin', 'destination', 'event_timestamp', 'value']);
    expect(rows.map((r) => r.value)).toEqual([1, 2, null, null]);
  });

  it('casts each value to the declared type, reading offsets in timestamp text', async () => {
    const { rows } = await build(
      'types',
      { columns: { id: 'BIGINT', ts: 'TIMESTAMP', n: 'DOUBLE', at: 'VARCHAR' }, rows: [[1, '2024-01-01 10:00:00', 2, '2024-01-01T14:00:00+04:00']] },
      [[1, '2024-01-01 12:00:00']],
      { features: [plain('n', 'n', 'int64'), plain('at', 'at', 'timestamp')] },
    );
    expect(rows).toEqual([{ id: 1, event_timestamp: ms('2024-01-01 12:00:00'), n: 2, at: ms('2024-01-01 10:00:00') }]);
    const [types] = await ws.engine().query(`SELECT typeof(n) AS n, typeof("at") AS at FROM read_parquet('${join(ws.dir(), 'types', 'out.parquet')}')`);
    expect(types).toEqual({ n: 'BIGINT', at: 'TIMESTAMP' });
  });
});
