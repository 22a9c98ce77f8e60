/**
 * The prediction log: every prediction, as Parquet in the offline store.
 *
 * Layout: `<dataDir>/offline/<project>/predictions/<deployment>/date=YYYY-MM-DD/part-<uuid>.parquet`,
 * partitioned by the UTC date of `requested_at`; one row per instance with the columns
 * prediction_id, row, requested_at (TIMESTAMP, UTC), project, deployment, variant, model,
 * model_version, latency_ms, status, error, shadow, protocol, entities, features, outputs.
 * The last three are JSON text, so the schema is the same whatever the model; read a value
 * with DuckDB's `json_extract(features, '$.age')` or `features->>'$.plan'`.
 *
 * Delivery is at-least-once: after a crash some rows may be written twice; (`prediction_id`,
 * `row`) identifies them and `readPredictions` returns each once.
 */
export { PredictionLog, type PredictionLogOptions } from './prediction-log.js';
export { readPredictions, type PredictionQuery, type PredictionRow } from './read-predictions.js';
export type { PredictionLogStats } from './prediction-log-metrics.js';
export { predictionsPath, PREDICTION_DATE_COLUMN, type PredictionLogEngine } from './parquet-segment.js';
