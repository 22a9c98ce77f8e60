import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictionLog, readPredictions } from '../../../src/serving/prediction-log/index.js';
import { LazyDuckDbEngine } from '../../../src/storage/offline/index.js';
import { record, tempDirs } from './fixtures.js';

let engine: LazyDuckDbEngine;
let dirs: Awaited<ReturnType<typeof tempDirs>>;
const day = (d: number, h = 12) => Date.UTC(2024, 4, d, h);

beforeAll(async () => {
  engine = new LazyDuckDbEngine({ threads: 2, memoryLimit: '512MB' });
  dirs = await tempDirs();
  const log = new PredictionLog({ dir: dirs.dir, spillDir: dirs.spillDir, engine, flushIntervalMs: 3_600_000 });
  const one = { entities: [{ id: 1 }], features: [{ x: 1 }], outputs: [{ y: 1 }] };
  log.append(record({ ...one, predictionId: 'd1', requestedAt: day(1) }));
  log.append(record({ ...one, predictionId: 'd2', requestedAt: day(2), variant: 'canary' }));
  log.append(record({ ...one, predictionId: 'd3', requestedAt: day(3) }));
  log.append(record({ ...one, predictionId: 'd3b', requestedAt: day(3, 18), variant: 'canary' }));
  log.append(record({ ...one, predictionId: 'other', deployment: 'upsell', requestedAt: day(2) }));
  await log.flush();
  // the same prediction written twice, as after a crash between a Parquet write and the spill's removal
  log.append(record({ predictionId: 'd2', requestedAt: day(2), variant: 'canary' }));
  await log.close();
});
afterAll(async () => {
  await engine.close();
  await dirs.cleanup();
});

const ids = (rows: { predictionId: string; row: number }[]) => rows.map((r) => `${r.predictionId}#${r.row}`);

describe('readPredictions', () => {
  it('reads one deployment newest first, each (prediction, row) once', async () => {
    expect(ids(await readPredictions(engine, dirs.dir, { project: 'shop', deployment: 'churn' }))).toEqual(['d3b#0', 'd3#0', 'd2#0', 'd2#1', 'd1#0']);
  });

  it('keeps the duplicates when asked', async () => {
    const rows = await readPredictions(engine, dirs.dir, { project: 'shop', deployment: 'churn', deduplicate: false });
    expect(ids(rows).filter((id) => id === 'd2#0')).toHaveLength(2);
  });

  it('filters by time range (since inclusive, until exclusive), variant, and limit', async () => {
    const read = (q: object) => readPredictions(engine, dirs.dir, { project: 'shop', deployment: 'churn', ...q }).then(ids);
    expect(await read({ since: day(2), until: day(3, 18) })).toEqual(['d3#0', 'd2#0', 'd2#1']);
    expect(await read({ since: new Date(day(3, 13)) })).toEqual(['d3b#0']);
    expect(await read({ variant: 'canary' })).toEqual(['d3b#0', 'd2#0', 'd2#1']);
    expect(await read({ limit: 2 })).toEqual(['d3b#0', 'd3#0']);
    expect(await read({ until: day(1) })).toEqual([]);
  });

  it('returns nothing for a deployment that has logged nothing yet', async () => {
    expect(await readPredictions(engine, dirs.dir, { project: 'shop', deployment: 'never' })).toEqual([]);
    expect(await readPredictions(engine, dirs.dir, { project: 'nobody', deployment: 'churn' })).toEqual([]);
  });

  it('refuses names that could leave the log folder, and bad limits', async () => {
    await expect(readPredictions(engine, dirs.dir, { project: '..', deployment: 'churn' })).rejects.toMatchObject({ code: 'FALAJ_BAD_REQUEST' });
    await expect(readPredictions(engine, dirs.dir, { project: 'shop', deployment: 'a/b' })).rejects.toMatchObject({ code: 'FALAJ_BAD_REQUEST' });
    await expect(readPredictions(engine, dirs.dir, { project: 'shop', deployment: 'churn', limit: 0 })).rejects.toMatchObject({ code: 'FALAJ_BAD_REQUEST' });
  });

  it('reports an engine that cannot read as FALAJ_PREDICTION_LOG_UNAVAILABLE', async () => {
    const broken = { get: () => Promise.reject(new Error('DuckDB failed to start')) };
    await expect(readPredictions(broken, dirs.dir, { project: 'shop', deployment: 'churn' })).rejects.toMatchObject({ code: 'FALAJ_PREDICTION_LOG_UNAVAILABLE', message: expect.stringContaining('DuckDB failed to start') });
  });
});
