import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackingService } from '../../src/tracking/index.js';
import { MetricWriter } from '../../src/tracking/metric.repository.js';
import type { RunMetricTable, RunTable } from '../../src/tracking/tracking.table.js';
import type { TestApp } from '../helpers/app.js';
import { ctx, ENGINES, trackingApp } from './tracking-fixtures.js';

/**
 * Search at the scale the issue names: 30,000 runs with 20 metrics each, seeded with bulk
 * inserts. Checks the answers against the same search done in memory (timings are
 * measured by the benchmark, never asserted here).
 */
const RUNS = 30_000;
const METRICS = 20;
const P = 'default';

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Seeded {
  id: string;
  start: number;
  group: string;
  metrics: Map<string, number>;
}

describe.each(ENGINES)('searching 30,000 runs × 20 metrics on $name', (engine) => {
  let app: TestApp;
  let tracking: TrackingService;
  let experimentId: string;
  const runs: Seeded[] = [];

  beforeAll(async () => {
    app = await trackingApp(engine);
    tracking = app.services.tracking;
    const experiment = await tracking.createExperiment(ctx, P, { name: 'at-scale' });
    experimentId = experiment.id;
    const next = random(42);
    const db = app.services.database.db;
    const writer = new MetricWriter(app.services.database.dialect);
    for (let chunk = 0; chunk < RUNS; chunk += 1_000) {
      const rows: RunTable[] = [];
      const metricRows: RunMetricTable[] = [];
      const params: { run_id: string; key: string; value: string }[] = [];
      for (let i = chunk; i < chunk + 1_000; i++) {
        const id = i.toString(16).padStart(32, '0');
        const run: Seeded = { id, start: 1_700_000_000_000 + i * 1_000, group: ['a', 'b', 'c'][i % 3]!, metrics: new Map() };
        for (let m = 0; m < METRICS; m++) {
          if (m === 1 && i % 7 === 0) continue; // some runs never logged m1
          const value = Math.round(next() * 10_000) / 10_000;
          run.metrics.set(`m${m}`, value);
          metricRows.push({ run_id: id, key: `m${m}`, value, is_nan: 0, step: 10, timestamp: run.start });
        }
        runs.push(run);
        rows.push({ id, project: P, experiment_id: experimentId, name: `run-${i}`, status: 'FINISHED', start_time: run.start, end_time: run.start + 500, lifecycle_stage: 'active', deleted_time: null, user_id: 'bulk', artifact_uri: `mlflow-artifacts:/1/${id}/artifacts`, created_by: 'usr_tester' });
        params.push({ run_id: id, key: 'group', value: run.group });
      }
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('runs').values(rows).execute();
        await tx.insertInto('run_params').values(params).execute();
        await writer.upsertLatest(tx, metricRows);
      });
    }
  }, 180_000);
  afterAll(async () => app?.dispose());

  /** The expected answer: filter, then MLflow's order (value, missing last; then start time desc, id). */
  function expected(match: (r: Seeded) => boolean, key: string, descending: boolean): string[] {
    return runs
      .filter(match)
      .sort((a, b) => {
        const x = a.metrics.get(key);
        const y = b.metrics.get(key);
        if (x === undefined || y === undefined) {
          if (x !== y) return x === undefined ? 1 : -1;
        } else if (x !== y) return descending ? y - x : x - y;
        return b.start - a.start || (a.id < b.id ? -1 : 1);
      })
      .map((r) => r.id);
  }

  it('answers a metric filter with a param, ordered by a metric, exactly', async () => {
    const page = await tracking.searchRuns(P, { experimentIds: [experimentId], filter: "metrics.m0 > 0.8 and params.group = 'a'", orderBy: ['metrics.m1 DESC'] });
    const want = expected((r) => r.metrics.get('m0')! > 0.8 && r.group === 'a', 'm1', true);
    expect(want.length).toBeGreaterThan(1_000);
    expect(page.items.map((r) => r.info.id)).toEqual(want.slice(0, 1_000));
    expect(page.nextPageToken).toBeDefined();
    expect(Object.keys(page.items[0]!.data.metrics)).toHaveLength(20);
  });

  it('pages through every match of an OR filter once, missing values last', async () => {
    const filter = "metrics.m0 > 0.9 or (params.group = 'c' and metrics.m2 < 0.05)";
    const want = expected((r) => r.metrics.get('m0')! > 0.9 || (r.group === 'c' && r.metrics.get('m2')! < 0.05), 'm1', false);
    const got: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await tracking.searchRuns(P, { experimentIds: [experimentId], filter, orderBy: ['metrics.m1 ASC'], maxResults: 1_500, pageToken });
      got.push(...page.items.map((r) => r.info.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(got).toEqual(want);
    expect(new Set(got).size).toBe(got.length);
  });

  it('counts a whole-table filter right with the largest page', async () => {
    const page = await tracking.searchRuns(P, { filter: 'metrics.m5 <= 0.5', maxResults: 50_000 });
    expect(page.items.length).toBe(runs.filter((r) => r.metrics.get('m5')! <= 0.5).length);
    expect(page.nextPageToken).toBeUndefined();
  });
});
