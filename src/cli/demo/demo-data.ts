import { resolve } from 'node:path';
import type { LazyDuckDbEngine } from '../../storage/offline/index.js';
import { quoteLiteral } from '../../storage/offline/index.js';

/** The repository root (this file is `dist/cli/demo/` or `src/cli/demo/`). */
export const ROOT = resolve(import.meta.dirname, '../../..');
export const FLIGHTS_FEATURES = resolve(ROOT, 'examples/flights/features');
export const FLIGHTS_PARQUET = resolve(ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet');

/**
 * A spine from the flights themselves, as `examples/flights/make-spine.mjs` builds it:
 * sampled flights of January–May, each asked about two hours before it leaves, with the
 * label the model learns (left more than 15 minutes late).
 */
export async function writeSpine(offline: LazyDuckDbEngine, out: string, rows: number): Promise<number> {
  const engine = await offline.get();
  await engine.query(`
    COPY (
      SELECT origin, destination, date - INTERVAL 2 HOUR AS event_timestamp, delay > 15 AS delayed_15m
      FROM (SELECT * FROM read_parquet(${quoteLiteral(FLIGHTS_PARQUET)}) WHERE date < TIMESTAMP '2001-06-01')
      USING SAMPLE reservoir(${Math.floor(rows)} ROWS) REPEATABLE (42)
      ORDER BY event_timestamp
    ) TO ${quoteLiteral(out)} (FORMAT parquet)`);
  const [count] = await engine.query(`SELECT count(*)::INTEGER AS n FROM read_parquet(${quoteLiteral(out)})`);
  return Number(count!.n);
}

/** June's flights: the routes the demo asks predictions for. */
export async function juneRoutes(offline: LazyDuckDbEngine, rows: number): Promise<{ origin: string; destination: string }[]> {
  const engine = await offline.get();
  const found = await engine.query(`
    SELECT origin, destination FROM (SELECT * FROM read_parquet(${quoteLiteral(FLIGHTS_PARQUET)}) WHERE date >= TIMESTAMP '2001-06-01')
    USING SAMPLE reservoir(${Math.floor(rows)} ROWS) REPEATABLE (7)`);
  return found.map((r) => ({ origin: String(r.origin), destination: String(r.destination) }));
}
