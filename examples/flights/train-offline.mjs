#!/usr/bin/env node
// Trains the built-in tabular trainer on the 3 million flights without a server: DuckDB
// builds point-in-time-safe features straight from the Parquet file, the trainer learns
// "will this flight leave more than 15 minutes late?" from January–May, and the exported
// ONNX models are judged on June, a later month they never saw.
//
// usage: npm run build && node examples/flights/train-offline.mjs [--max-rows N] [--epochs N] [--out DIR]
//
// Every feature of a flight is computed from flights that departed at least 2 hours
// before it (window frames ending `INTERVAL 2 HOUR PRECEDING`), as the feature store's
// spine asks 2 hours before departure: a flight's own delay, or a later one, never leaks in.
import { DuckDBInstance } from '@duckdb/node-api';
import * as ort from 'onnxruntime-node';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const trainer = await import(resolve(here, '../../dist/training/trainer/index.js')).catch(() => {
  console.error('dist/ is missing or stale: run `npm run build` first');
  process.exit(1);
});
const { loadTrainingData, parseTrainerSpec, predict, rocAuc, runTabularTrainer } = trainer;

const { values: args } = parseArgs({
  options: {
    'max-rows': { type: 'string' },
    epochs: { type: 'string', default: '30' },
    out: { type: 'string', default: join(tmpdir(), 'falaj-flights-trainer') },
  },
});
const out = resolve(args.out);
await mkdir(out, { recursive: true });
const flights = resolve(here, '../../node_modules/vega-datasets/data/flights-3m.parquet');
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

// --- 1. features, point in time ------------------------------------------------------
const started = Date.now();
const db = await DuckDBInstance.create(':memory:');
const sql = await db.connect();
await sql.run("SET TimeZone = 'UTC'");
const frame = (preceding) => `RANGE BETWEEN INTERVAL ${preceding} PRECEDING AND INTERVAL 2 HOUR PRECEDING`;
await sql.run(`
  CREATE TABLE labelled AS
  SELECT
    origin, destination,
    date - INTERVAL 2 HOUR AS event_timestamp,
    CAST(distance AS DOUBLE) AS distance,
    hour(date) + minute(date) / 60.0 AS dep_hour,
    CAST(isodow(date) AS DOUBLE) AS day_of_week,
    count(delay) OVER (PARTITION BY origin ORDER BY date ${frame('26 HOUR')}) AS origin_flights_1d,
    avg(delay) OVER (PARTITION BY origin ORDER BY date ${frame('26 HOUR')}) AS origin_delay_mean_1d,
    avg(CAST(delay > 15 AS DOUBLE)) OVER (PARTITION BY origin ORDER BY date ${frame('26 HOUR')}) AS origin_late_rate_1d,
    avg(delay) OVER (PARTITION BY origin ORDER BY date ${frame('170 HOUR')}) AS origin_delay_mean_7d,
    avg(delay) OVER (PARTITION BY destination ORDER BY date ${frame('26 HOUR')}) AS dest_delay_mean_1d,
    avg(CAST(delay > 15 AS DOUBLE)) OVER (PARTITION BY destination ORDER BY date ${frame('26 HOUR')}) AS dest_late_rate_1d,
    avg(delay) OVER (PARTITION BY destination ORDER BY date ${frame('170 HOUR')}) AS dest_delay_mean_7d,
    count(delay) OVER (PARTITION BY origin, destination ORDER BY date ${frame('722 HOUR')}) AS route_flights_30d,
    avg(delay) OVER (PARTITION BY origin, destination ORDER BY date ${frame('722 HOUR')}) AS route_delay_mean_30d,
    avg(CAST(delay > 15 AS DOUBLE)) OVER (PARTITION BY origin, destination ORDER BY date ${frame('722 HOUR')}) AS route_late_rate_30d,
    last_value(delay IGNORE NULLS) OVER (PARTITION BY origin, destination ORDER BY date RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 2 HOUR PRECEDING) AS route_last_delay,
    delay > 15 AS delayed_15m
  FROM read_parquet(${quote(flights)})`);
const trainPath = join(out, 'train-jan-may.parquet');
const testPath = join(out, 'test-june.parquet');
await sql.run(`COPY (SELECT * FROM labelled WHERE event_timestamp < TIMESTAMP '2001-06-01' ORDER BY event_timestamp) TO ${quote(trainPath)} (FORMAT parquet)`);
await sql.run(`COPY (SELECT * FROM labelled WHERE event_timestamp >= TIMESTAMP '2001-06-01' ORDER BY event_timestamp) TO ${quote(testPath)} (FORMAT parquet)`);
const counts = (await sql.runAndReadAll(`SELECT count(*) FILTER (WHERE event_timestamp < TIMESTAMP '2001-06-01') AS train, count(*) FILTER (WHERE event_timestamp >= TIMESTAMP '2001-06-01') AS test, avg(CAST(delayed_15m AS DOUBLE)) AS late FROM labelled`)).getRowObjectsJS()[0];
sql.closeSync();
db.closeSync();
console.log(`features: ${counts.train} training rows (Jan–May), ${counts.test} test rows (June), ${(Number(counts.late) * 100).toFixed(1)}% late, in ${((Date.now() - started) / 1000).toFixed(1)} s`);

// --- 2. train, 3. judge on June -----------------------------------------------------------
const results = [];
for (const model of ['linear', 'mlp']) {
  const spec = {
    type: 'tabular',
    task: 'binary',
    label: 'delayed_15m',
    model,
    epochs: Number(args.epochs),
    ...(model === 'mlp' ? { hidden: [32] } : {}),
    ...(args['max-rows'] ? { maxRows: Number(args['max-rows']) } : {}),
  };
  const t0 = Date.now();
  const result = await runTabularTrainer({
    dataPath: trainPath,
    outputDir: join(out, model),
    checkpointDir: join(out, model, 'checkpoint'),
    spec,
    print: (line) => console.log(`  [${model}] ${line}`),
  });
  const trainSeconds = (Date.now() - t0) / 1000;

  // June, read the same way, features in the model's order
  const { maxRows: _sampleOnlyTraining, ...testSpec } = spec;
  const june = await loadTrainingData(testPath, parseTrainerSpec({ ...testSpec, features: result.model.featureNames }));
  const ours = predict(result.model, june.x);
  const session = await ort.InferenceSession.create(await readFile(result.modelPath));
  const width = result.model.featureNames.length;
  const onnx = (await session.run({ features: new ort.Tensor('float32', Float32Array.from(june.x), [june.rows, width]) })).probability.data;
  await session.release();
  let maxDiff = 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - onnx[i]));
  results.push({
    model,
    'rows trained': result.rows.train,
    'best epoch': `${result.bestEpoch} of ${result.history.length}`,
    'val AUC (May)': result.validation.val_auc.toFixed(4),
    'test AUC (June, ONNX)': rocAuc(onnx, june.y).toFixed(4),
    'max |trainer − ONNX|': maxDiff.toExponential(1),
    'train s': trainSeconds.toFixed(0),
  });
}
console.log(`\nJudged on June (${counts.test} flights the models never saw):`);
console.table(results);
console.log(`models and metrics under ${out}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
