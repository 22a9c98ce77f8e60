import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestBatch, ingestRelation } from '../../../src/data/ingest/index.js';
import { quoteLiteral } from '../../../src/storage/offline/index.js';
import { filesUnder, goodRides, ingestFixture, ridesContract, type IngestFixture } from './ingest-fixture.js';

let fx: IngestFixture;
beforeAll(async () => {
  fx = await ingestFixture();
});
afterAll(async () => {
  await fx.close();
});

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('accepted output', () => {
  it('writes typed, date-partitioned Parquet that read_parquet(hive_partitioning) reads back', async () => {
    const rows: Record<string, unknown>[] = goodRides(5).map((r) => ({ ...r, note: 'outside the schema' }));
    rows[4]!.fare = 'bad';
    const { outcome, plan } = await fx.ingestCsv(rows, ridesContract());
    expect((await fx.quarantine(outcome))[0]).toMatchObject({ __row: 5, fare: 'bad', note: 'outside the schema' }); // every input column, raw
    expect(outcome.files).toHaveLength(2);
    expect(outcome.files.map((f) => f.replace(/part-[0-9a-f-]+/, 'part-X'))).toEqual(['__date=2024-03-01/part-X.parquet', '__date=2024-03-02/part-X.parquet']);
    expect((await filesUnder(plan.outDir)).sort()).toEqual(outcome.files.map((f) => join(plan.outDir, f)).sort());
    const back = await fx.accepted(plan.outDir, 'id');
    expect(back).toHaveLength(outcome.accepted);
    expect(back[0]).toEqual({ id: 1, fare: 10, city: 'doha', at: Date.UTC(2024, 2, 1, 0), __date: Date.UTC(2024, 2, 1) });
    const types = await fx.engine.query(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(`${plan.outDir}/**/*.parquet`)})`);
    expect(types.map((t) => [t.column_name, t.column_type])).toEqual([['id', 'BIGINT'], ['fare', 'DOUBLE'], ['city', 'VARCHAR'], ['at', 'TIMESTAMP'], ['__date', 'DATE']]);
  });

  it('adds to an output directory without touching what is there', async () => {
    const outDir = join(fx.dir, 'shared-out');
    const first = await fx.ingestCsv(goodRides(4), ridesContract(), { outDir });
    const second = await fx.ingestCsv(goodRides(2), ridesContract(), { outDir });
    expect((await filesUnder(outDir)).length).toBe(first.outcome.files.length + second.outcome.files.length);
    expect(await fx.accepted(outDir, 'id')).toHaveLength(6);
  });

  it('sha256 is the hash of the files\' digests (partition, then digest order): stable for the same rows, different for others', async () => {
    const a = await fx.ingestCsv(goodRides(6), ridesContract());
    const b = await fx.ingestCsv(goodRides(6), ridesContract());
    const c = await fx.ingestCsv(goodRides(7), ridesContract());
    expect(a.outcome.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.outcome.sha256).toBe(a.outcome.sha256);
    expect(c.outcome.sha256).not.toBe(a.outcome.sha256);
    const digests = await Promise.all(a.outcome.files.map(async (f) => ({ dir: f.split('/')[0]!, digest: sha(await readFile(join(a.plan.outDir, f))) })));
    digests.sort((x, y) => (`${x.dir}/${x.digest}` < `${y.dir}/${y.digest}` ? -1 : 1));
    expect(a.outcome.sha256).toBe(sha(digests.map((d) => d.digest).join('')));
  });
});

describe('inputs', () => {
  const contract = ridesContract();
  const rows = [
    { id: 1, fare: 10.5, city: 'doha', at: '2024-03-01T10:00:00+02:00' },
    { id: 2, fare: 'n/a', city: 'doha', at: '2024-03-01T09:00:00Z' },
    { id: 3, fare: 7, city: null, at: '2024-03-02 01:00:00' },
  ];

  it('reads CSV, JSON lines and Parquet alike: same accepted files, raw values kept in quarantine', async () => {
    const csv = fx.plan(ingestRelation(await fx.csv(rows), 'csv'), contract);
    const jsonl = fx.plan(ingestRelation(await fx.jsonl(rows), 'jsonl'), contract);
    const parquetPath = join(fx.dir, 'rides.parquet');
    await fx.engine.query(`COPY (SELECT * FROM (VALUES (1::BIGINT, 10.5::DOUBLE, 'doha', TIMESTAMP '2024-03-01 08:00:00'), (2, NULL, 'doha', TIMESTAMP '2024-03-01 09:00:00'), (3, 7, NULL, TIMESTAMP '2024-03-02 01:00:00')) t(id, fare, city, "at")) TO ${quoteLiteral(parquetPath)} (FORMAT parquet)`);
    const parquet = fx.plan(ingestRelation(parquetPath, 'parquet'), contract);
    const outcomes = [await ingestBatch(fx.engine, csv), await ingestBatch(fx.engine, jsonl), await ingestBatch(fx.engine, parquet)];
    expect(outcomes.map((o) => [o.accepted, o.quarantined])).toEqual([[2, 1], [2, 1], [3, 0]]);
    expect(await fx.accepted(jsonl.outDir, 'id')).toEqual(await fx.accepted(csv.outDir, 'id'));
    expect(outcomes[1]!.sha256).toBe(outcomes[0]!.sha256);
    expect((await fx.accepted(csv.outDir, 'id'))[0]).toMatchObject({ at: Date.UTC(2024, 2, 1, 8) }); // the offset is honoured
    for (const o of outcomes.slice(0, 2)) expect((await fx.quarantine(o))[0]).toMatchObject({ __row: 2, __value: 'n/a', fare: 'n/a', id: '2' });
  });

  it('takes epoch milliseconds for a timestamp, as numbers (JSON) or digits (CSV)', async () => {
    const ms = Date.UTC(2024, 2, 1, 6);
    const epochRows = [{ id: 1, fare: 1, city: 'x', at: ms }, { id: 2, fare: 1, city: 'x', at: ms + 1 }];
    for (const relation of [ingestRelation(await fx.jsonl(epochRows), 'jsonl'), ingestRelation(await fx.csv(epochRows), 'csv')]) {
      const plan = fx.plan(relation, contract);
      const outcome = await ingestBatch(fx.engine, plan);
      expect(outcome.accepted).toBe(2);
      expect((await fx.accepted(plan.outDir, 'id')).map((r) => r.at)).toEqual([ms, ms + 1]);
    }
  });

  it('accepts an empty input: nothing written, zero everywhere', async () => {
    const path = await fx.file('empty.csv', 'id,fare,city,at\n');
    const outcome = await ingestBatch(fx.engine, fx.plan(ingestRelation(path, 'csv'), contract));
    expect(outcome).toMatchObject({ received: 0, accepted: 0, quarantined: 0, files: [], sha256: null, quarantineFile: null, profile: { rows: 0 } });
  });
});

describe('failures mid-way', () => {
  it('leaves outDir untouched when the quarantine file cannot be written', async () => {
    const outDir = join(fx.dir, 'kept-out');
    await mkdir(join(outDir, '__date=2024-01-01'), { recursive: true });
    await writeFile(join(outDir, '__date=2024-01-01', 'earlier.parquet'), 'earlier');
    const blocker = await fx.file('not-a-dir', 'x');
    const rows = goodRides(4);
    rows[0]!.fare = 'bad';
    const plan = fx.plan(ingestRelation(await fx.csv(rows), 'csv'), ridesContract(), { outDir, quarantineFile: join(blocker, 'q.parquet') });
    await expect(ingestBatch(fx.engine, plan)).rejects.toMatchObject({ code: 'FALAJ_INGESTION_FAILED' });
    expect(await filesUnder(outDir)).toEqual([join(outDir, '__date=2024-01-01', 'earlier.parquet')]);
    expect(await readdir(plan.tempDir)).toEqual([]); // staging removed
  });

  it('takes back the files already moved when a later move fails, and the quarantine file with them', async () => {
    const outDir = join(fx.dir, 'half-out');
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, '__date=2024-03-02'), 'a file where the second partition\'s folder should go');
    const rows = goodRides(4);
    rows[0]!.fare = 'bad';
    const plan = fx.plan(ingestRelation(await fx.csv(rows), 'csv'), ridesContract(), { outDir });
    await expect(ingestBatch(fx.engine, plan)).rejects.toMatchObject({ code: 'FALAJ_INGESTION_FAILED' });
    expect(await filesUnder(outDir)).toEqual([join(outDir, '__date=2024-03-02')]);
    expect(await filesUnder(join(plan.quarantineFile, '..'))).toEqual([]);
  });

  it('leaves outDir untouched and drops its tables when DuckDB fails reading the input', async () => {
    const path = await fx.csv(goodRides(4));
    const relation = `(SELECT *, CASE WHEN id = '3' THEN error('disk on fire') END AS boom FROM ${ingestRelation(path, 'csv')})`;
    const plan = fx.plan(relation, ridesContract());
    await expect(ingestBatch(fx.engine, plan)).rejects.toMatchObject({ code: 'FALAJ_OFFLINE_QUERY_FAILED', message: expect.stringContaining('disk on fire') });
    expect(await filesUnder(plan.outDir)).toEqual([]);
    expect(await fx.engine.query(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '__falaj_ingest_%'`)).toEqual([]);
  });
});
