import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionLog as PredictionLogType, PredictionLogOptions, readPredictions as readPredictionsType } from '../../../src/serving/prediction-log/index.js';
import type { LazyDuckDbEngine as LazyDuckDbEngineType } from '../../../src/storage/offline/index.js';
import { cleanupsAfterEach, record, tempDirs, warnings } from './fixtures.js';

// The encoding thread runs the built JavaScript (a worker cannot load the TypeScript
// sources), so this suite drives the log from dist/, built first when missing.
const ROOT = resolve(import.meta.dirname, '../../..');
const DIST = join(ROOT, 'dist');

interface Built {
  PredictionLog: typeof PredictionLogType;
  readPredictions: typeof readPredictionsType;
  LazyDuckDbEngine: typeof LazyDuckDbEngineType;
}

let built: Built;
let engine: LazyDuckDbEngineType;
beforeAll(async () => {
  if (!existsSync(join(DIST, 'serving', 'prediction-log', 'segment-worker.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  const log = await import(pathToFileURL(join(DIST, 'serving', 'prediction-log', 'index.js')).href);
  const offline = await import(pathToFileURL(join(DIST, 'storage', 'offline', 'index.js')).href);
  built = { PredictionLog: log.PredictionLog, readPredictions: log.readPredictions, LazyDuckDbEngine: offline.LazyDuckDbEngine };
  engine = new built.LazyDuckDbEngine({ threads: 1, memoryLimit: '256MB' });
}, 120_000);
afterAll(async () => engine?.close());

const cleanups = cleanupsAfterEach();

async function setup(options: Partial<PredictionLogOptions> = {}) {
  const dirs = await tempDirs();
  const warned = warnings();
  const log = new built.PredictionLog({ dir: dirs.dir, spillDir: dirs.spillDir, engine, flushIntervalMs: 3_600_000, onError: warned.onError, ...options });
  cleanups.push(dirs.cleanup, () => log.close());
  return { ...dirs, warned, log };
}

describe('the prediction log encoding on a worker thread (built code)', () => {
  it('writes what the serving thread would have written: objects, 64-bit values, typed arrays and feature matrices', async () => {
    const matrix = { names: ['a', 'b'], data: new Float32Array([0.5, NaN, 3, 4]) };
    const records = [
      record(),
      record({ features: [{ big: 2n ** 40n }], outputs: [{ probs: new Float32Array([0.5, 0.25]) as unknown as number[] }], entities: [{ id: 1 }] }),
      record({ protocol: 'oip', entities: [], features: matrix, outputs: [{ p: 0.1 }, { p: 0.9 }] }),
    ];
    const onWorker = await setup();
    const inline = await setup({ encodeOnWorker: false });
    expect(onWorker.log.encoding).toBe('worker');
    expect(inline.log.encoding).toBe('inline');
    for (const { log } of [onWorker, inline]) {
      for (const r of records) log.append(r);
      expect(await log.flush()).toEqual({ written: 3 });
    }
    const read = (dir: string) => built.readPredictions(engine, dir, { project: 'shop', deployment: 'churn' });
    const rows = await read(onWorker.dir);
    expect(rows).toEqual(await read(inline.dir));
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r.protocol === 'oip').map((r) => r.features)).toEqual([{ a: 0.5, b: null }, { a: 3, b: 4 }]);
    expect(onWorker.warned.list).toEqual([]);
  });

  it('hands a large batch over in chunks and writes it as one segment per deployment', async () => {
    const { log, dir } = await setup({ maxBufferedRecords: 2_000, flushRecords: 2_000 });
    const appended = Array.from({ length: 600 }, (_, i) => record({ deployment: i % 3 === 0 ? 'upsell' : 'churn', entities: [{ i }], features: { names: ['x'], data: new Float64Array([i]) }, outputs: [{ p: i / 600 }] }));
    for (const r of appended) log.append(r);
    expect(await log.flush()).toEqual({ written: 600 });
    const churn = await built.readPredictions(engine, dir, { project: 'shop', deployment: 'churn', limit: 1_000 });
    const upsell = await built.readPredictions(engine, dir, { project: 'shop', deployment: 'upsell', limit: 1_000 });
    expect(churn).toHaveLength(400);
    expect(upsell).toHaveLength(200);
    expect(new Set([...churn, ...upsell].map((r) => (r.entities as { i: number }).i))).toEqual(new Set(appended.map((_, i) => i)));
    expect(churn.every((r) => (r.features as { x: number }).x === (r.entities as { i: number }).i)).toBe(true);
    const files = async (deployment: string) => (await readdir(join(dir, 'shop', 'predictions', deployment), { recursive: true })).filter((f) => String(f).endsWith('.parquet'));
    expect(await files('churn')).toHaveLength(1);
    expect(await files('upsell')).toHaveLength(1);
  });

  it('reports records it can never store, and writes the rest', async () => {
    const { log, warned } = await setup();
    log.append(record({ deployment: '../escape' }));
    log.append(record());
    expect(await log.flush()).toEqual({ written: 1 });
    expect(log.stats()).toMatchObject({ written: 1, dropped: 1 });
    expect(warned.list.map((w) => w.message).join('\n')).toContain('"../escape"');
  });

  it('encodes on the serving thread what cannot cross to the worker, and after close', async () => {
    const { log, spillDir, dir } = await setup();
    // a function cannot be cloned to another thread (here in the batch's second chunk); JSON leaves it out
    for (let i = 0; i < 300; i++) log.append(record(i === 280 ? { features: [{ age: 31, f: (() => 1) as unknown as number }, { age: 45 }] } : {}));
    expect(await log.flush()).toEqual({ written: 300 });
    expect(await built.readPredictions(engine, dir, { project: 'shop', deployment: 'churn', limit: 1_000, deduplicate: false })).toHaveLength(600);
    await log.close();
    expect(log.encoding).toBe('inline');
    log.append(record()); // after close: straight to a spill segment for the next start
    await expect.poll(async () => (await readdir(spillDir)).filter((n) => n.endsWith('.jsonl')).length).toBe(1);
  });
});
