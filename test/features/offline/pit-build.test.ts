import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedSource } from '../../../src/features/definitions/resolved.js';
import { pointInTimeJoin } from '../../../src/features/offline/index.js';
import { quoteLiteral } from '../../../src/storage/offline/index.js';
import { agg, batchSource, featureView, HOUR, ms, plain, readParquet, useOfflineWorkspace, writeRows } from './offline-fixtures.js';

const ws = useOfflineWorkspace();
const SRC = { id: 'BIGINT', ts: 'TIMESTAMP', value: 'DOUBLE' };
const SPINE = { id: 'BIGINT', event_timestamp: 'TIMESTAMP' };

describe('point-in-time join: building a training set', () => {
  it('joins several views; a shared feature name is prefixed, the others are not unless asked', async () => {
    const a = await writeRows(ws.engine(), join(ws.dir(), 'views', 'a.parquet'), SRC, [[1, '2024-01-01 10:00:00', 1]]);
    const b = await writeRows(ws.engine(), join(ws.dir(), 'views', 'b.parquet'), SRC, [[1, '2024-01-01 11:00:00', 2], [1, '2024-01-01 11:30:00', 3]]);
    const spinePath = await writeRows(ws.engine(), join(ws.dir(), 'views', 'spine.parquet'), { ...SPINE, label: 'INTEGER' }, [[1, '2024-01-01 12:00:00', 7]]);
    const va = featureView('alpha', batchSource(a), [plain('value'), plain('a_only', 'value')]);
    const vb = featureView('beta', batchSource(b), [plain('value'), agg('n', 'count', 'value', HOUR, 'int64')]);
    const views = [{ view: va, features: va.features }, { view: vb, features: vb.features }];
    const outPath = join(ws.dir(), 'views', 'out.parquet');
    const short = await pointInTimeJoin(ws.engine(), { spinePath, views, outPath });
    expect(short.columns).toEqual(['id', 'event_timestamp', 'label', 'alpha__value', 'a_only', 'beta__value', 'n']);
    expect(await readParquet(ws.engine(), outPath)).toEqual([{ id: 1, event_timestamp: ms('2024-01-01 12:00:00'), label: 7, alpha__value: 1, a_only: 1, beta__value: 3, n: 1 }]);
    const full = await pointInTimeJoin(ws.engine(), { spinePath, views, outPath, fullFeatureNames: true });
    expect(full.columns.slice(3)).toEqual(['alpha__value', 'alpha__a_only', 'beta__value', 'beta__n']);
  });

  it('returns every spine row once, duplicates included, in the spine order', async () => {
    const n = 20_000; // several row groups and threads
    const source = await writeRows(ws.engine(), join(ws.dir(), 'order', 'source.parquet'), SRC, [[1, '2024-01-01 00:00:00', 1], [2, '2024-01-01 00:00:00', 2]]);
    const spinePath = join(ws.dir(), 'order', 'spine.parquet');
    await ws.engine().query(
      `COPY (SELECT (hash(i) % 3)::BIGINT AS id, TIMESTAMP '2024-01-02' - to_seconds((hash(i * 7) % 86400)::BIGINT) AS event_timestamp, i AS seq
             FROM range(${n}) t(i), range(2) d(copy)) TO ${quoteLiteral(spinePath)} (FORMAT parquet, ROW_GROUP_SIZE 4096)`,
    );
    const view = featureView('v', batchSource(source), [plain('value'), agg('n', 'count', 'value', 2 * 86_400_000, 'int64')]);
    const outPath = join(ws.dir(), 'order', 'out.parquet');
    const result = await pointInTimeJoin(ws.engine(), { spinePath, views: [{ view, features: view.features }], outPath });
    expect(result.rows).toBe(2 * n);
    const [check] = await ws.engine().query(
      `SELECT count(*) AS rows, count(*) FILTER (WHERE a.seq IS DISTINCT FROM b.seq OR a.id IS DISTINCT FROM b.id OR a.event_timestamp IS DISTINCT FROM b.event_timestamp) AS moved,
              count(*) FILTER (WHERE b.value IS DISTINCT FROM CASE a.id WHEN 0 THEN NULL ELSE a.id END) AS wrong
       FROM read_parquet(${quoteLiteral(spinePath)}) a POSITIONAL JOIN read_parquet(${quoteLiteral(outPath)}) b`,
    );
    expect(check).toEqual({ rows: 2 * n, moved: 0, wrong: 0 });
  });

  it('reads event_timestamp as TIMESTAMPTZ, DATE or ISO text (with offsets) from Parquet and CSV spines', async () => {
    const source = await writeRows(ws.engine(), join(ws.dir(), 'tz', 'source.parquet'), SRC, [[1, '2024-01-01 00:00:00', 1], [1, '2024-01-01 12:00:00', 2]]);
    const view = featureView('v', batchSource(source), [plain('value')]);
    const cases: [string, Record<string, string>, unknown[][]][] = [
      ['tz.parquet', { id: 'BIGINT', event_timestamp: 'TIMESTAMPTZ' }, [[1, '2024-01-01 15:59:00+04'], [1, '2024-01-01 16:00:00+04']]],
      ['date.parquet', { id: 'BIGINT', event_timestamp: 'DATE' }, [[1, '2024-01-01'], [1, '2024-01-02']]],
      ['text.csv', { id: 'BIGINT', event_timestamp: 'VARCHAR' }, [[1, '2024-01-01T13:59:59+02:00'], [1, '2024-01-01T12:00:00Z']]],
      ['text.parquet', { id: 'BIGINT', event_timestamp: 'VARCHAR' }, [[1, '2024-01-01T11:59:59.999'], [1, '2024-01-01 14:00:00+02']]],
    ];
    for (const [file, columns, spine] of cases) {
      const spinePath = await writeRows(ws.engine(), join(ws.dir(), 'tz', file), columns, spine);
      const outPath = join(ws.dir(), 'tz', `${file}.out.parquet`);
      await pointInTimeJoin(ws.engine(), { spinePath, views: [{ view, features: view.features }], outPath });
      expect((await readParquet(ws.engine(), outPath)).map((r) => r.value), file).toEqual([1, 2]);
    }
  });

  it('reads CSV and JSON-lines sources, a directory of them recursively', async () => {
    const rows = [[1, '2024-01-01 10:00:00', 1.5], [1, '2024-01-01 11:00:00', 2.5]];
    await writeRows(ws.engine(), join(ws.dir(), 'fmt', 'csv', 'part-1.csv'), SRC, rows.slice(0, 1));
    await writeRows(ws.engine(), join(ws.dir(), 'fmt', 'csv', 'nested', 'part-2.csv'), SRC, rows.slice(1));
    const jsonl = await writeRows(ws.engine(), join(ws.dir(), 'fmt', 'rows.jsonl'), SRC, rows);
    const spinePath = await writeRows(ws.engine(), join(ws.dir(), 'fmt', 'spine.csv'), SPINE, [[1, '2024-01-01 10:30:00'], [1, '2024-01-01 11:30:00']]);
    for (const [format, path] of [['csv', join(ws.dir(), 'fmt', 'csv')], ['jsonl', jsonl]] as const) {
      const view = featureView('v', batchSource(path, { format }), [plain('value'), agg('total', 'sum', 'value', HOUR)]);
      const outPath = join(ws.dir(), 'fmt', `${format}.out.parquet`);
      await pointInTimeJoin(ws.engine(), { spinePath, views: [{ view, features: view.features }], outPath });
      expect((await readParquet(ws.engine(), outPath)).map((r) => [r.value, r.total]), format).toEqual([[1.5, 1.5], [2.5, 2.5]]);
    }
  });

  it('treats an empty or absent push directory as no rows, and reads hive-partitioned pushes', async () => {
    const push = (path: string): ResolvedSource => ({ kind: 'push', name: 'p', path, schema: { id: 'int64', ts: 'timestamp', value: 'float64' }, timestampField: 'ts', classification: 'public', required: [], allowedValues: {}, expectations: [], version: 1 });
    const empty = join(ws.dir(), 'push', 'empty');
    await mkdir(join(empty, '__date=2024-01-01'), { recursive: true });
    const full = join(ws.dir(), 'push', 'full');
    await writeRows(ws.engine(), join(full, '__date=2024-01-01', 'part-a.parquet'), SRC, [[1, '2024-01-01 10:00:00', 4]]);
    await writeRows(ws.engine(), join(full, '__date=2024-01-02', 'part-b.parquet'), SRC, [[1, '2024-01-02 10:00:00', 5]]);
    const spinePath = await writeRows(ws.engine(), join(ws.dir(), 'push', 'spine.parquet'), SPINE, [[1, '2024-01-02 12:00:00']]);
    const expected: [string, unknown[]][] = [[empty, [null, 0]], [join(ws.dir(), 'push', 'absent'), [null, 0]], [full, [5, 2]]];
    for (const [path, values] of expected) {
      const view = featureView('v', push(path), [plain('value'), agg('n', 'count', 'value', 2 * 86_400_000, 'int64')]);
      const outPath = join(ws.dir(), 'push', 'out.parquet');
      await pointInTimeJoin(ws.engine(), { spinePath, views: [{ view, features: view.features }], outPath });
      expect((await readParquet(ws.engine(), outPath)).map((r) => [r.value, r.n])[0], path).toEqual(values);
    }
  });
});
