import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedSource } from '../../../src/features/definitions/resolved.js';
import { DuckDbEngine, fileRelation, formatOfPath, quoteLiteral, sourceRelation, timestampSql } from '../../../src/storage/offline/index.js';

let engine: DuckDbEngine;
let dir: string;
beforeAll(async () => {
  engine = await DuckDbEngine.create({ threads: 2 });
  dir = await mkdtemp(join(tmpdir(), "falaj-source-it's-"));
});
afterAll(async () => {
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

async function write(path: string, select: string, format = 'FORMAT parquet') {
  await mkdir(join(path, '..'), { recursive: true });
  await engine.query(`COPY (${select}) TO ${quoteLiteral(path)} (${format})`);
  return path;
}
const batch = (path: string, format: 'parquet' | 'csv' | 'jsonl' = 'parquet'): ResolvedSource => ({ kind: 'batch', name: 's', path, format, timestampField: 'ts', classification: 'public' });
const push = (path: string): ResolvedSource => ({ kind: 'push', name: 'p', path, schema: { id: 'int64', ts: 'timestamp', score: 'float64', ok: 'bool' }, timestampField: 'ts', createdTimestampField: 'created', classification: 'public', required: [], allowedValues: {}, expectations: [], version: 1 });
const read = (relation: string) => engine.query(`SELECT * FROM ${relation} ORDER BY ALL`);

describe('sourceRelation', () => {
  it('reads a Parquet file, a glob, and a directory recursively, unioning columns by name', async () => {
    const a = await write(join(dir, 'pq', 'a.parquet'), 'SELECT 1 AS id, 10 AS x');
    await write(join(dir, 'pq', 'deep', 'b.parquet'), "SELECT 'y' AS y, 2 AS id");
    await write(join(dir, 'pq', 'ignored.csv'), 'SELECT 3 AS id', 'FORMAT csv, HEADER');
    expect(await read(sourceRelation(batch(a)))).toEqual([{ id: 1, x: 10 }]);
    expect(await read(sourceRelation(batch(join(dir, 'pq', '*.parquet'))))).toEqual([{ id: 1, x: 10 }]);
    expect(await read(sourceRelation(batch(join(dir, 'pq'))))).toEqual([
      { id: 1, x: 10, y: null },
      { id: 2, x: null, y: 'y' },
    ]);
  });

  it('reads CSV (types detected) and JSON lines', async () => {
    const csv = await write(join(dir, 'csv', 'a.csv'), "SELECT 1 AS id, TIMESTAMP '2024-01-01 10:00:00' AS ts, 'a,b' AS s", 'FORMAT csv, HEADER');
    const rows = await engine.query(`SELECT id, ts, s, typeof(ts) AS t FROM ${sourceRelation(batch(csv, 'csv'))}`);
    expect(rows).toEqual([{ id: 1, ts: Date.UTC(2024, 0, 1, 10), s: 'a,b', t: 'TIMESTAMP' }]);
    const jsonl = await write(join(dir, 'json', 'rows.jsonl'), "SELECT * FROM (VALUES (1, 'x'), (2, 'y')) t(id, s)", 'FORMAT json');
    expect(await read(sourceRelation(batch(jsonl, 'jsonl')))).toEqual([{ id: 1, s: 'x' }, { id: 2, s: 'y' }]);
  });

  it('refuses a path that does not exist and a directory without files of the format', async () => {
    expect(() => sourceRelation(batch(join(dir, 'missing.parquet')))).toThrow(expect.objectContaining({ code: 'FALAJ_OFFLINE_SOURCE_NOT_FOUND' }));
    await mkdir(join(dir, 'empty-batch'), { recursive: true });
    expect(() => sourceRelation(batch(join(dir, 'empty-batch')))).toThrow(expect.objectContaining({ code: 'FALAJ_OFFLINE_SOURCE_NOT_FOUND' }));
  });

  it('gives an empty or absent push directory as no rows with the push schema', async () => {
    await mkdir(join(dir, 'push-empty', '__date=2024-01-01'), { recursive: true });
    for (const path of [join(dir, 'push-empty'), join(dir, 'push-absent')]) {
      const relation = sourceRelation(push(path));
      expect(await engine.query(`SELECT count(*) AS n FROM ${relation}`)).toEqual([{ n: 0 }]);
      const described = await engine.query(`DESCRIBE SELECT * FROM ${relation}`);
      expect(described.map((c) => [c.column_name, c.column_type])).toEqual([
        ['id', 'BIGINT'],
        ['ts', 'TIMESTAMP'],
        ['score', 'DOUBLE'],
        ['ok', 'BOOLEAN'],
        ['created', 'TIMESTAMP'],
      ]);
    }
  });

  it('reads pushed hive-partitioned Parquet with its partition column', async () => {
    const root = join(dir, 'push-full');
    await write(join(root, '__date=2024-01-01', 'part-1.parquet'), "SELECT 1::BIGINT AS id, TIMESTAMP '2024-01-01 10:00:00' AS ts");
    await write(join(root, '__date=2024-01-02', 'part-2.parquet'), "SELECT 2::BIGINT AS id, TIMESTAMP '2024-01-02 10:00:00' AS ts, 0.5 AS score");
    const rows = await engine.query(`SELECT id, score, __date::VARCHAR AS d FROM ${sourceRelation(push(root))} ORDER BY id`);
    expect(rows).toEqual([{ id: 1, score: null, d: '2024-01-01' }, { id: 2, score: 0.5, d: '2024-01-02' }]);
  });
});

describe('fileRelation, formatOfPath and timestampSql', () => {
  it('picks the reader from the extension', () => {
    expect([formatOfPath('a.CSV'), formatOfPath('a.jsonl'), formatOfPath('a.parquet'), formatOfPath('a')]).toEqual(['csv', 'jsonl', 'parquet', 'parquet']);
    expect(fileRelation('s3://bucket/x/*.parquet', 'parquet')).toBe("read_parquet('s3://bucket/x/*.parquet', union_by_name=true)");
  });

  it('normalises timestamps, dates, zoned timestamps and ISO text to UTC TIMESTAMP', async () => {
    const cases = [
      "TIMESTAMP '2024-01-01 12:00:00'",
      "TIMESTAMPTZ '2024-01-01 16:00:00+04'",
      "TIMESTAMP_NS '2024-01-01 12:00:00'",
      "'2024-01-01T12:00:00Z'",
      "'2024-01-01T08:00:00-04:00'",
      "'2024-01-01 12:00:00'",
      "DATE '2024-01-01' + INTERVAL 12 HOUR",
    ];
    for (const expr of cases) {
      const [row] = await engine.query(`SELECT ${timestampSql(expr)} AS t, typeof(${timestampSql(expr)}) AS type`);
      expect(row, expr).toEqual({ t: Date.UTC(2024, 0, 1, 12), type: 'TIMESTAMP' });
    }
    const [date] = await engine.query(`SELECT ${timestampSql("DATE '2024-01-02'")} AS t`);
    expect(date).toEqual({ t: Date.UTC(2024, 0, 2) });
  });
});
