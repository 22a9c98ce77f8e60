import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pointInTimeJoin } from '../../../src/features/offline/index.js';
import { quoteLiteral } from '../../../src/storage/offline/index.js';
import { agg, batchSource, DAY, featureView, plain, readParquet, useOfflineWorkspace } from './offline-fixtures.js';

const FLIGHTS = resolve('node_modules/vega-datasets/data/flights-3m.parquet');
const ws = useOfflineWorkspace();

interface Flight { ts: number; delay: number | null }

describe('point-in-time join on the real flights data (3M rows)', () => {
  it('matches a brute-force JS computation for 2,000 spine rows: last delay, 1-day count and mean', async () => {
    const engine = ws.engine();
    const flights = quoteLiteral(FLIGHTS);
    // 2,000 spine rows over 25 airports: random instants (µs precision), exact flight times,
    // exactly one day after a flight (the excluded lower bound) and 1 µs before a flight.
    const spinePath = join(ws.dir(), 'spine.parquet');
    await engine.query(`
      COPY (
        WITH airports AS (SELECT origin FROM (SELECT DISTINCT origin FROM read_parquet(${flights})) ORDER BY hash(origin || 'seed-7') LIMIT 25),
             picked AS (SELECT f.origin, f.date, row_number() OVER (ORDER BY hash(f.origin || f.date::VARCHAR || f.delay::VARCHAR || f.distance::VARCHAR)) AS k
                        FROM read_parquet(${flights}) f SEMI JOIN airports USING (origin))
        SELECT origin,
               CASE k % 4 WHEN 0 THEN date WHEN 1 THEN date + INTERVAL 1 DAY WHEN 2 THEN date - INTERVAL 1 MICROSECOND
                          ELSE TIMESTAMP '2001-01-01' + to_microseconds((hash(k) % (181 * 86400000000))::BIGINT) END AS event_timestamp,
               k AS row_no
        FROM picked WHERE k <= 2000 ORDER BY hash(k * 31)
      ) TO ${quoteLiteral(spinePath)} (FORMAT parquet)`);
    const view = featureView(
      'flights',
      batchSource(FLIGHTS, { timestampField: 'date' }),
      [plain('delay', 'delay', 'int64'), agg('delay_count_1d', 'count', 'delay', DAY, 'int64'), agg('delay_mean_1d', 'mean', 'delay', DAY)],
      { joinKeys: ['origin'] },
    );
    const outPath = join(ws.dir(), 'train.parquet');
    const result = await pointInTimeJoin(engine, { spinePath, views: [{ view, features: view.features }], outPath });
    expect(result.rows).toBe(2000);
    const out = await readParquet(engine, outPath);

    const byOrigin = new Map<string, Flight[]>();
    const origins = [...new Set(out.map((r) => String(r.origin)))];
    const rows = await engine.query(`SELECT origin, epoch_us(date) AS ts, delay FROM read_parquet(${flights}) WHERE origin IN (${origins.map(quoteLiteral).join(', ')})`);
    for (const r of rows) {
      const list = byOrigin.get(String(r.origin)) ?? [];
      list.push({ ts: Number(r.ts), delay: r.delay as number | null });
      byOrigin.set(String(r.origin), list);
    }
    const tsUs = await engine.query(`SELECT epoch_us(event_timestamp) AS t FROM read_parquet(${quoteLiteral(outPath)})`);

    let withHistory = 0;
    out.forEach((row, i) => {
      const t = Number(tsUs[i]!.t);
      const flightsHere = byOrigin.get(String(row.origin)) ?? [];
      let latestTs = -Infinity;
      for (const f of flightsHere) if (f.ts <= t && f.ts > latestTs) latestTs = f.ts;
      // several flights can leave one airport in the same minute and the source has no
      // created time to order them: any of those delays is the latest
      const tied = flightsHere.filter((f) => f.ts === latestTs).map((f) => f.delay);
      if (tied.length === 0) expect(row.delay, `row ${i}`).toBeNull();
      else expect(tied, `row ${i}`).toContain(row.delay);
      const window = flightsHere.filter((f) => f.ts <= t && f.ts > t - DAY * 1000 && f.delay !== null).map((f) => f.delay!);
      expect(row.delay_count_1d, `row ${i}`).toBe(window.length);
      if (window.length === 0) expect(row.delay_mean_1d).toBeNull();
      else expect(row.delay_mean_1d as number, `row ${i}`).toBeCloseTo(window.reduce((a, b) => a + b, 0) / window.length, 9);
      if (window.length > 0) withHistory++;
    });
    expect(withHistory).toBeGreaterThan(1500);
  }, 120_000);
});
