import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedFeature } from '../../../src/features/definitions/resolved.js';
import { pointInTimeJoin } from '../../../src/features/offline/index.js';
import { agg, batchSource, featureView, plain, readParquet, useOfflineWorkspace, writeRows } from './offline-fixtures.js';

const ws = useOfflineWorkspace();

/** Small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SourceRow { id: number; ts: number; created: number; value: number | null }
const MINUTE_US = 60_000_000;
const BASE_US = Date.UTC(2024, 0, 1) * 1000;
const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString().replace('Z', '') + String(us % 1000).padStart(3, '0');

/** The semantics, written the slow obvious way. */
function reference(rows: SourceRow[], id: number | null, t: number, f: ResolvedFeature, ttlUs: number): unknown {
  const mine = rows.filter((r) => r.id === id && r.ts <= t);
  const latest = (rs: SourceRow[]) => rs.reduce<SourceRow | undefined>((best, r) => (!best || r.ts > best.ts || (r.ts === best.ts && r.created > best.created) ? r : best), undefined);
  if (!f.aggregation) {
    const row = latest(mine);
    return row && (ttlUs === 0 || row.ts > t - ttlUs) ? row.value : null;
  }
  const inWindow = mine.filter((r) => r.ts > t - f.aggregation!.windowMs * 1000);
  if (f.aggregation.function === 'last') return latest(inWindow)?.value ?? null;
  const vs = inWindow.map((r) => r.value).filter((v): v is number => v !== null);
  const sum = vs.reduce((a, b) => a + b, 0);
  const mean = sum / vs.length;
  switch (f.aggregation.function) {
    case 'count': return vs.length;
    case 'sum': return vs.length ? sum : null;
    case 'mean': return vs.length ? mean : null;
    case 'min': return vs.length ? Math.min(...vs) : null;
    case 'max': return vs.length ? Math.max(...vs) : null;
    case 'stddev': return vs.length > 1 ? Math.sqrt(vs.reduce((a, v) => a + (v - mean) ** 2, 0) / (vs.length - 1)) : null;
  }
}

describe('point-in-time join against a brute-force reference', () => {
  it.each([1, 2, 3])('agrees on random data with ties and boundary times (seed %i)', async (seed) => {
    const rand = prng(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const source: SourceRow[] = [];
    for (let i = 0; i < 400; i++) {
      const ts = BASE_US + Math.floor(rand() * 240) * MINUTE_US; // a minute grid, so event times tie
      // created: unique, and unrelated to event order
      source.push({ id: pick([1, 2, 3]), ts, created: BASE_US + Math.floor(rand() * 1e12) * 7 + i, value: rand() < 0.1 ? null : Math.floor(rand() * 200) - 100 });
    }
    const features = [
      plain('value', 'value', 'int64'),
      ...(['count', 'sum', 'mean', 'min', 'max', 'stddev', 'last'] as const).flatMap((fn) => [agg(`${fn}_10m`, fn, 'value', 600_000), agg(`${fn}_1h`, fn, 'value', 3_600_000)]),
    ];
    const spine: [number | null, number][] = [];
    for (let i = 0; i < 300; i++) {
      const anchor = pick(source).ts;
      const t = pick([anchor, anchor - 1, anchor + 1, anchor + 600_000_000, anchor + 3_600_000_000, anchor + 1_800_000_000, BASE_US + Math.floor(rand() * 260 * MINUTE_US)]);
      spine.push([pick([1, 2, 3, 4, null]), t]);
    }
    const dir = join(ws.dir(), `seed-${seed}`);
    const sourcePath = await writeRows(ws.engine(), join(dir, 'source.parquet'), { id: 'BIGINT', ts: 'TIMESTAMP', created: 'TIMESTAMP', value: 'BIGINT' }, source.map((r) => [r.id, iso(r.ts), iso(r.created), r.value]));
    const spinePath = await writeRows(ws.engine(), join(dir, 'spine.parquet'), { id: 'BIGINT', event_timestamp: 'TIMESTAMP' }, spine.map(([id, t]) => [id, iso(t)]));
    const ttlMs = 1_800_000;
    const view = featureView('v', batchSource(sourcePath, { createdTimestampField: 'created' }), features, { ttlMs });
    const outPath = join(dir, 'out.parquet');
    await pointInTimeJoin(ws.engine(), { spinePath, views: [{ view, features }], outPath });
    const out = await readParquet(ws.engine(), outPath);
    expect(out).toHaveLength(spine.length);
    let nonNull = 0;
    spine.forEach(([id, t], i) => {
      for (const f of features) {
        const want = reference(source, id, t, f, ttlMs * 1000);
        const got = out[i]![f.name];
        if (typeof want === 'number' && typeof got === 'number') expect(got, `${f.name} row ${i}`).toBeCloseTo(want, 6);
        else expect(got, `${f.name} row ${i}`).toEqual(want);
        if (want !== null && want !== 0) nonNull++;
      }
    });
    expect(nonNull).toBeGreaterThan(spine.length * 5); // the data exercised real values, not just nulls
  });
});
