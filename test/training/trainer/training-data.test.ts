import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../../src/storage/offline/index.js';
import { readOnnxSignature } from '../../../src/registry/onnx/onnx-signature.js';
import { loadTrainingData, parseTrainerSpec, runTabularTrainer, splitRows } from '../../../src/training/trainer/index.js';

let dir: string;
let engine: DuckDbEngine;
let path: string;
let untimed: string;

const spec = (overrides: Record<string, unknown> = {}) => parseTrainerSpec({ type: 'tabular', task: 'binary', label: 'label', model: 'linear', ...overrides });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'falaj-trainer-data-'));
  engine = await DuckDbEngine.create({ threads: 1 });
  path = join(dir, 'train.parquet');
  untimed = join(dir, 'untimed.parquet');
  // 5,000 rows written in reverse time order, so reading in time order is visible;
  // every 10th label is null, every 7th amount is null
  await engine.query(`COPY (
    SELECT 'u' || (i % 50) AS user_id,
           TIMESTAMP '2024-01-01' + to_minutes(5000 - i) AS event_timestamp,
           CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END AS amount,
           CAST(i % 13 AS BIGINT) AS n_orders,
           i % 2 = 0 AS is_member,
           CASE WHEN i % 3 = 0 THEN 'dubai' ELSE 'abu dhabi' END AS city,
           CAST(i / 100 AS DECIMAL(9,2)) AS price,
           TIMESTAMP '2024-06-01' AS created_timestamp,
           CASE WHEN i % 10 = 0 THEN NULL ELSE (i * 7919) % 3 = 0 END AS label,
           CAST(i % 3 AS INTEGER) AS three_way
    FROM range(5000) t(i)) TO '${path}' (FORMAT parquet)`);
  await engine.query(`COPY (SELECT i * 1.0 AS a, (i % 4 = 0) AS label FROM range(1000) t(i)) TO '${untimed}' (FORMAT parquet)`);
});
afterAll(async () => {
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('loadTrainingData', () => {
  it('takes every numeric and boolean column but the label and timestamps, drops unlabelled rows and orders by time', async () => {
    const data = await loadTrainingData(path, spec(), { engine });
    expect(data.featureNames).toEqual(['amount', 'n_orders', 'is_member', 'price', 'three_way']);
    expect(data.droppedNullLabels).toBe(500);
    expect(data.rows).toBe(4_500);
    expect(data.labelledRows).toBe(4_500);
    const ts = data.timestamps!;
    for (let r = 1; r < data.rows; r++) expect(ts[r]!).toBeGreaterThanOrEqual(ts[r - 1]!);
    // the first row in time is i = 4999: amount 2499.5, 4999 % 13 = 7 orders, not a member
    expect([...data.x.subarray(0, 5)]).toEqual([2499.5, 7, 0, 49.99, 1]);
    // nulls are NaN; labels are 0/1
    const amounts = Array.from({ length: data.rows }, (_, r) => data.x[r * 5]!);
    expect(amounts.filter(Number.isNaN).length).toBeGreaterThan(600);
    expect(new Set(data.y)).toEqual(new Set([0, 1]));
  });

  it('honours an explicit feature list and exclusions', async () => {
    expect((await loadTrainingData(path, spec({ features: ['price', 'amount'] }), { engine })).featureNames).toEqual(['price', 'amount']);
    expect((await loadTrainingData(path, spec({ exclude: ['three_way', 'n_orders'] }), { engine })).featureNames).toEqual(['amount', 'is_member', 'price']);
  });

  it('maxRows keeps the same deterministic sample on every read', async () => {
    const a = await loadTrainingData(path, spec({ maxRows: 1_000 }), { engine });
    const b = await loadTrainingData(path, spec({ maxRows: 1_000 }), { engine });
    expect(a.rows).toBe(1_000);
    expect(a.labelledRows).toBe(4_500);
    expect(a.x).toEqual(b.x);
    expect(a.timestamps).toEqual(b.timestamps);
    const c = await loadTrainingData(path, spec({ maxRows: 1_000, seed: 7 }), { engine });
    expect(c.timestamps).not.toEqual(a.timestamps);
  });

  it('refuses a missing label, a string feature and a binary label with other values', async () => {
    await expect(loadTrainingData(path, spec({ label: 'nope' }), { engine })).rejects.toMatchObject({ code: 'FALAJ_TRAINING_SET_INVALID', message: expect.stringMatching(/label column "nope" is not in the training set/) });
    await expect(loadTrainingData(path, spec({ features: ['city'] }), { engine })).rejects.toThrow(/feature "city" is VARCHAR/);
    await expect(loadTrainingData(path, spec({ label: 'three_way' }), { engine })).rejects.toThrow(/value\(s\) other than 0 and 1/);
    // the same column is a fine regression target
    expect((await loadTrainingData(path, spec({ label: 'three_way', task: 'regression' }), { engine })).rows).toBe(5_000);
  });

  it('without event_timestamp, rows stay in file order and the split is a seeded hash', async () => {
    const data = await loadTrainingData(untimed, spec(), { engine });
    expect(data.timestamps).toBeUndefined();
    expect(data.x.subarray(0, 3)).toEqual(Float64Array.from([0, 1, 2]));
    const split = splitRows(data, 0.2, 42);
    expect(split.method).toBe('hash');
    expect(split.validation.length).toBeGreaterThan(150);
    expect(split.validation.length).toBeLessThan(250);
    expect(splitRows(data, 0.2, 42).validation).toEqual(split.validation);
    expect(splitRows(data, 0.2, 43).validation).not.toEqual(split.validation);
  });

  it('with event_timestamp, validation is the latest rows and a timestamp is never split', () => {
    const timestamps = Float64Array.from([1, 2, 3, 4, 5, 5, 5, 6, 7, 8]);
    const split = splitRows({ rows: 10, timestamps }, 0.4, 42);
    expect([...split.validation]).toEqual([4, 5, 6, 7, 8, 9]);
    expect(split.validationFrom).toBe(5);
  });
});

describe('runTabularTrainer', () => {
  it('reads the Parquet set, trains and writes model.onnx and metrics.json', async () => {
    const out = join(dir, 'out');
    const result = await runTabularTrainer({ dataPath: path, outputDir: out, spec: JSON.stringify({ type: 'tabular', task: 'binary', label: 'label', model: 'mlp', hidden: [4], epochs: 2 }) });
    expect(result.status).toBe('completed');
    const signature = await readOnnxSignature(await readFile(result.modelPath!));
    expect(signature.inputs[0]!.shape).toEqual(['N', 5]);
    const metrics = JSON.parse(await readFile(result.metricsPath!, 'utf8'));
    expect(metrics).toMatchObject({ trainer: 'tabular', task: 'binary', model: 'mlp', features: ['amount', 'n_orders', 'is_member', 'price', 'three_way'], rows: { train: 3_600, validation: 900, droppedNullLabels: 500 } });
    expect(metrics.history).toHaveLength(2);
    expect(metrics.split.method).toBe('time');
  });
});
