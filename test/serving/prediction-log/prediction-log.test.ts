import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PredictionLog, readPredictions, type PredictionLogOptions } from '../../../src/serving/prediction-log/index.js';
import { loggedTensorRows, tensorRows } from '../../../src/serving/predict/tensor-rows.js';
import { LazyDuckDbEngine } from '../../../src/storage/offline/index.js';
import { cleanupsAfterEach, failingEngine, record, tempDirs, warnings } from './fixtures.js';

let engine: LazyDuckDbEngine;
beforeAll(() => {
  engine = new LazyDuckDbEngine({ threads: 2, memoryLimit: '512MB' });
});
afterAll(async () => {
  await engine.close();
});

const cleanups = cleanupsAfterEach();

async function setup(options: Partial<PredictionLogOptions> = {}) {
  const dirs = await tempDirs();
  const warned = warnings();
  const make = (more: Partial<PredictionLogOptions> = {}) => {
    // a long interval: these tests flush by hand, so nothing depends on timing
    const log = new PredictionLog({ dir: dirs.dir, spillDir: dirs.spillDir, engine, flushIntervalMs: 3_600_000, onError: warned.onError, ...options, ...more });
    cleanups.push(() => log.close());
    return log;
  };
  cleanups.push(dirs.cleanup);
  return { ...dirs, warned, log: make(), make };
}

function accounted(log: PredictionLog): number {
  const s = log.stats();
  return s.buffered + s.spilled + s.written + s.dropped;
}

async function metric(registry: Registry, name: string): Promise<number> {
  const found = registry.getSingleMetric(name);
  if (!found) throw new Error(`metric ${name} is not registered`);
  return (await found.get()).values[0]?.value ?? 0;
}

describe('PredictionLog', () => {
  it('writes each instance as one Parquet row that reads back exactly, partitioned by date', async () => {
    const { log, dir, spillDir, warned } = await setup();
    await log.start();
    const ok = record({ requestedAt: Date.UTC(2024, 4, 1, 23, 59, 59, 500), features: [{ age: 31, tags: ['a', 'b'], nested: { x: 1.5 } }, { age: 45, tags: [], nested: null }] });
    const failed = record({ variant: 'canary', status: 'error', error: 'FALAJ_INFERENCE_FAILED', shadow: true, protocol: 'oip', requestedAt: Date.UTC(2024, 4, 2, 0, 0, 0, 1), latencyMs: 0.5, entities: [], features: [], outputs: [] });
    log.append(ok);
    log.append(failed);
    expect(await log.flush()).toEqual({ written: 2 });
    expect(log.stats()).toEqual({ buffered: 0, spilled: 0, written: 2, failedFlushes: 0, dropped: 0 });
    expect(await readdir(spillDir)).toEqual([]);
    expect(warned.list).toEqual([]);

    const partitions = await readdir(join(dir, 'shop', 'predictions', 'churn'));
    expect(partitions.sort()).toEqual(['date=2024-05-01', 'date=2024-05-02']);
    expect(await readdir(join(dir, 'shop', 'predictions', 'churn', 'date=2024-05-01'))).toEqual([expect.stringMatching(/^part-[0-9a-f-]{36}\.parquet$/)]);

    const rows = await readPredictions(engine, dir, { project: 'shop', deployment: 'churn' });
    const common = { project: 'shop', deployment: 'churn', model: 'churn-model', modelVersion: 3 };
    expect(rows).toEqual([
      { ...common, predictionId: failed.predictionId, row: 0, requestedAt: failed.requestedAt, variant: 'canary', latencyMs: 0.5, status: 'error', error: 'FALAJ_INFERENCE_FAILED', shadow: true, protocol: 'oip', entities: null, features: null, outputs: null },
      { ...common, predictionId: ok.predictionId, row: 0, requestedAt: ok.requestedAt, variant: 'stable', latencyMs: 1.25, status: 'ok', error: null, shadow: false, protocol: 'predict', entities: { customer_id: 'c1' }, features: { age: 31, tags: ['a', 'b'], nested: { x: 1.5 } }, outputs: { score: 0.25 } },
      { ...common, predictionId: ok.predictionId, row: 1, requestedAt: ok.requestedAt, variant: 'stable', latencyMs: 1.25, status: 'ok', error: null, shadow: false, protocol: 'predict', entities: { customer_id: 'c2' }, features: { age: 45, tags: [], nested: null }, outputs: { score: 0.75 } },
    ]);
  });

  it('keeps the JSON columns readable by DuckDB json_extract, and 64-bit and typed-array values as numbers', async () => {
    const { log, dir } = await setup();
    log.append(record({ features: [{ big: 2n ** 40n, huge: 2n ** 60n }], outputs: [{ probs: new Float32Array([0.5, 0.25]) as unknown as number[] }], entities: [] }));
    await log.flush();
    const files = join(dir, 'shop', 'predictions', 'churn', '*', '*.parquet');
    const duck = await engine.get();
    expect(await duck.query(`SELECT json_extract(features, '$.big')::BIGINT AS big, features->>'$.huge' AS huge, json_extract(outputs, '$.probs[1]')::DOUBLE AS p FROM read_parquet('${files}')`)).toEqual([
      { big: 2 ** 40, huge: (2n ** 60n).toString(), p: 0.25 },
    ]);
  });

  it('never throws from append: not after close, not when the engine fails, not for a record it cannot store', async () => {
    const { log, make, warned, spillDir } = await setup({ engine: failingEngine() });
    await log.start();
    expect(() => log.append(record())).not.toThrow();
    expect(await log.flush()).toEqual({ written: 0 });
    expect(log.stats()).toMatchObject({ buffered: 0, spilled: 1, written: 0, failedFlushes: 1, dropped: 0 });
    expect(warned.list[0]).toMatchObject({ code: 'FALAJ_PREDICTION_LOG_UNAVAILABLE', message: expect.stringContaining('No space left on device') });

    expect(() => log.append(record({ project: '../escape' }))).not.toThrow();
    expect(() => log.append(null as never)).not.toThrow();
    await log.close();
    expect(() => log.append(record())).not.toThrow();
    expect(log.stats()).toMatchObject({ buffered: 0, spilled: 2, dropped: 2 });
    await vi.waitFor(async () => expect((await readdir(spillDir)).filter((name) => name.endsWith('.jsonl'))).toHaveLength(2));
    expect(warned.list.map((w) => w.message).join('\n')).toContain('"../escape"');
    expect(accounted(log)).toBe(4);

    // what was appended after close is on disk for the next start
    const next = make({ engine });
    await next.start();
    await next.flush();
    expect(next.stats().written).toBe(2);
  });

  it("writes a request's feature matrix (kept as its typed array) the same as rows of objects", async () => {
    const { log, dir } = await setup();
    const feeds = { x: { type: 'float32' as const, data: new Float32Array([0.5, 2, NaN, 4]), dims: [2, 2] } };
    const lazy = record({ protocol: 'oip', entities: [], features: loggedTensorRows(feeds, 2, ['a', 'b']) });
    log.append(lazy);
    await log.flush();
    const rows = await readPredictions(engine, dir, { project: 'shop', deployment: 'churn' });
    expect(rows.map((r) => r.features)).toEqual(tensorRows(feeds, 2, ['a', 'b']));
    expect(rows.map((r) => r.features)).toEqual([{ a: 0.5, b: 2 }, { a: null, b: 4 }]);
  });

  it('spills a failed flush to disk, and a new log over the same folder writes it after a crash', async () => {
    const { make, dir, spillDir } = await setup();
    const crashed = make({ engine: failingEngine() });
    await crashed.start();
    const appended = [record(), record({ deployment: 'upsell' }), record()];
    for (const r of appended) crashed.append(r);
    await crashed.flush();
    expect(crashed.stats()).toMatchObject({ buffered: 0, spilled: 3, failedFlushes: 1 });
    expect((await readdir(spillDir)).filter((name) => name.endsWith('.jsonl'))).toHaveLength(2); // one per deployment
    // no close: the process "crashed"

    const recovered = make();
    await recovered.start();
    expect(recovered.stats().spilled).toBe(3);
    await recovered.flush(); // start() has already scheduled one; this waits for it too
    expect(recovered.stats()).toMatchObject({ spilled: 0, written: 3 });
    expect(await readdir(spillDir)).toEqual([]);
    const churn = await readPredictions(engine, dir, { project: 'shop', deployment: 'churn' });
    expect(new Set(churn.map((r) => r.predictionId))).toEqual(new Set([appended[0]!.predictionId, appended[2]!.predictionId]));
    expect(churn).toHaveLength(4);
    expect(await readPredictions(engine, dir, { project: 'shop', deployment: 'upsell' })).toHaveLength(2);
  });

  it('salvages the complete lines of a spill file cut short by a crash, and says what it lost', async () => {
    const { make, dir, spillDir, warned } = await setup();
    const first = make({ engine: failingEngine() });
    first.append(record());
    first.append(record());
    await first.flush();
    const [segment] = await readdir(spillDir);
    const text = await readFile(join(spillDir, segment!), 'utf8');
    // a second write, interrupted mid-line before its rename
    await writeFile(join(spillDir, 'segment-999999999999999-000000000-cut.jsonl.partial'), text + text.slice(0, 40));

    const second = make();
    await second.start();
    await second.flush();
    expect(second.stats()).toMatchObject({ spilled: 0, written: 4, dropped: 0 });
    expect(warned.list.some((w) => /1 lines of interrupted spill files/.test(w.message))).toBe(true);
    expect(await readdir(spillDir)).toEqual([]);
    expect(await readPredictions(engine, dir, { project: 'shop', deployment: 'churn', deduplicate: false })).toHaveLength(8);
  });

  it('spills when the buffer is full and loses nothing: accepted = buffered + spilled + written', async () => {
    const failing = failingEngine();
    const { log, make, dir } = await setup({ maxBufferedRecords: 3, flushRecords: 3, engine: failing });
    const appended = Array.from({ length: 10 }, () => record());
    // memory holds the buffer plus at most as many again on their way to disk: 6 in one burst
    for (const [i, r] of appended.slice(0, 6).entries()) {
      log.append(r);
      expect(accounted(log)).toBe(i + 1);
    }
    expect(log.stats()).toMatchObject({ buffered: 3, spilled: 3 });
    await log.flush();
    for (const r of appended.slice(6)) log.append(r);
    const queriesBefore = failing.calls;
    await log.flush();
    expect(log.stats()).toMatchObject({ buffered: 0, spilled: 10, written: 0, dropped: 0 });
    expect(failing.calls - queriesBefore).toBe(3); // an engine that is down is tried a few times per flush, not once per segment
    expect(accounted(log)).toBe(10);

    const recovered = make({ engine });
    await recovered.start();
    await recovered.flush();
    expect(recovered.stats()).toMatchObject({ spilled: 0, written: 10 });
    const rows = await readPredictions(engine, dir, { project: 'shop', deployment: 'churn', limit: 100 });
    expect(new Set(rows.map((r) => r.predictionId))).toEqual(new Set(appended.map((r) => r.predictionId)));
  });

  it('drops, counts and reports what a burst brings beyond twice the buffer while the disk catches up', async () => {
    const { log, warned } = await setup({ maxBufferedRecords: 3, flushRecords: 3 });
    for (let i = 0; i < 8; i++) log.append(record());
    expect(log.stats()).toMatchObject({ buffered: 3, spilled: 3, dropped: 2 });
    expect(warned.list).toHaveLength(1);
    await log.flush();
    expect(log.stats()).toMatchObject({ buffered: 0, spilled: 0, written: 6, dropped: 2 });
  });

  it('counts and reports predictions it drops when memory is full and the disk refuses the spill', async () => {
    const { root, warned } = await setup();
    const blocker = join(root, 'not-a-folder');
    await writeFile(blocker, '');
    const registry = new Registry();
    const log = new PredictionLog({ dir: join(root, 'offline'), spillDir: join(blocker, 'spill'), engine, maxBufferedRecords: 2, flushIntervalMs: 3_600_000, registry, onError: warned.onError });
    cleanups.push(() => log.close());
    log.append(record());
    log.append(record()); // full: spills, and the spill fails
    await log.flush();
    expect(log.stats()).toMatchObject({ buffered: 2, spilled: 0, dropped: 0 });
    expect(warned.list.some((w) => /cannot spill 2 predictions/.test(w.message))).toBe(true);

    log.append(record());
    log.append(record());
    expect(log.stats()).toMatchObject({ buffered: 2, dropped: 2 });
    expect(accounted(log)).toBe(4);
    expect(warned.list.filter((w) => /dropped 1 prediction /.test(w.message))).toHaveLength(1); // one warning per run of drops
    expect(await metric(registry, 'falaj_prediction_log_dropped_total')).toBe(2);
    expect(await metric(registry, 'falaj_prediction_log_buffered_records')).toBe(2);
  });

  it('exposes what it holds and what it wrote as Prometheus metrics', async () => {
    const registry = new Registry();
    const failing = failingEngine();
    const { log } = await setup({ registry, engine: failing });
    log.append(record());
    log.append(record());
    expect(await metric(registry, 'falaj_prediction_log_buffered_records')).toBe(2);
    await log.flush();
    expect(await metric(registry, 'falaj_prediction_log_buffered_records')).toBe(0);
    expect(await metric(registry, 'falaj_prediction_log_spilled_records')).toBe(2);
    expect(await metric(registry, 'falaj_prediction_log_flush_failures_total')).toBe(1);
    expect(await metric(registry, 'falaj_prediction_log_written_total')).toBe(0);
  });

  it('counts written predictions in its metrics', async () => {
    const registry = new Registry();
    const { log } = await setup({ registry });
    log.append(record());
    await log.close();
    expect(await metric(registry, 'falaj_prediction_log_written_total')).toBe(1);
    expect(await metric(registry, 'falaj_prediction_log_spilled_records')).toBe(0);
    expect(await metric(registry, 'falaj_prediction_log_dropped_total')).toBe(0);
  });

  it('flushes early once flushRecords are waiting, without a timer', async () => {
    const { log, dir } = await setup({ flushRecords: 2 });
    log.append(record());
    expect(log.stats().buffered).toBe(1);
    log.append(record());
    await vi.waitFor(() => expect(log.stats().written).toBe(2));
    expect(await readPredictions(engine, dir, { project: 'shop', deployment: 'churn' })).toHaveLength(4);
  });

  it('flushes on its own once started', async () => {
    const { log } = await setup({ flushIntervalMs: 10 });
    await log.start();
    log.append(record());
    await vi.waitFor(() => expect(log.stats().written).toBe(1));
  });

  it('rejects options that are not positive integers', () => {
    expect(() => new PredictionLog({ dir: '/x', spillDir: '/y', engine, maxBufferedRecords: 0 })).toThrow(/maxBufferedRecords/);
  });
});
