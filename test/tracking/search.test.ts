import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSearch, TrackingService } from '../../src/tracking/index.js';
import type { TestApp } from '../helpers/app.js';
import { ctx, ENGINES, failure, trackingApp } from './tracking-fixtures.js';

const P = 'search';

describe.each(ENGINES)('run and experiment search on $name', (engine) => {
  let app: TestApp;
  let tracking: TrackingService;
  let expA: string;
  let expB: string;
  /** run name → id */
  const ids = new Map<string, string>();
  const names = new Map<string, string>();

  async function seed(experimentId: string, name: string, startTime: number, data: { params?: Record<string, string>; tags?: Record<string, string>; metrics?: Record<string, number>; status?: 'FINISHED' | 'FAILED' }) {
    const run = await tracking.createRun(ctx, P, { experimentId, name, startTime, ...(data.tags ? { tags: data.tags } : {}) });
    await tracking.logBatch(P, run.info.id, {
      params: Object.entries(data.params ?? {}).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(data.metrics ?? {}).map(([key, value]) => ({ key, value, step: 0, timestamp: startTime })),
    });
    if (data.status) await tracking.updateRun(ctx, P, run.info.id, { status: data.status, endTime: startTime + 500 });
    ids.set(name, run.info.id);
    names.set(run.info.id, name);
    return run.info.id;
  }

  beforeAll(async () => {
    app = await trackingApp(engine);
    tracking = app.services.tracking;
    await app.services.projects.create(ctx, { name: P });
    expA = (await tracking.createExperiment(ctx, P, { name: 'search-a', tags: { team: 'risk' } })).id;
    expB = (await tracking.createExperiment(ctx, P, { name: 'search-b' })).id;
    await tracking.createExperiment(ctx, P, { name: 'other-c' });
    const alpha = await seed(expA, 'alpha', 1_000, { params: { lr: '0.01', model: 'xgb' }, tags: { team: 'risk' }, metrics: { auc: 0.9, loss: 0.1 }, status: 'FINISHED' });
    await tracking.logInputs(P, alpha, [{ name: 'flights', digest: 'd1', sourceType: 'falaj-dataset', source: 'ds_1', tags: { 'mlflow.data.context': 'training' } }]);
    await seed(expA, 'beta', 2_000, { params: { lr: '0.1', model: 'lgbm' }, tags: { team: 'Risk', pattern: 'aXb' }, metrics: { auc: 0.7 } });
    await seed(expA, 'gamma', 3_000, { params: { model: 'xgb' }, tags: { team: 'fraud', note: '100%_sure' }, metrics: { auc: Number.NaN }, status: 'FAILED' });
    await seed(expA, 'delta', 4_000, { params: { lr: '0.01' }, tags: { pattern: 'a*b' }, metrics: { loss: 0.3 }, status: 'FINISHED' });
    await seed(expA, 'Alpha-2', 5_000, { params: { lr: '0.001' }, tags: { team: 'risk' }, metrics: { auc: 0.95, loss: 0.05 }, status: 'FINISHED' });
    await seed(expB, 'other', 6_000, { metrics: { auc: 0.99 } });
    const gone = await seed(expA, 'gone', 7_000, { metrics: { auc: 0.99 } });
    await tracking.deleteRun(ctx, P, gone);
  });
  afterAll(async () => app?.dispose());

  const search = async (q: RunSearch) => (await tracking.searchRuns(P, { experimentIds: [expA], ...q })).items.map((r) => r.info.name);
  /** names matching a filter, whatever the order */
  const matching = async (filter: string) => (await search({ filter })).sort();

  it.each([
    ['metrics.auc > 0.8', ['Alpha-2', 'alpha']],
    ['metrics.auc >= 0.9', ['Alpha-2', 'alpha']],
    ['metrics.auc < 0.9', ['beta']],
    ['metrics.auc <= 0.9', ['alpha', 'beta']],
    ['metrics.auc = 0.7', ['beta']],
    // NaN is unequal to everything; a run without the metric never matches
    ['metrics.auc != 0.9', ['Alpha-2', 'beta', 'gamma']],
    ['metrics.auc IS NULL', ['delta']],
    ['metrics.loss is not null', ['Alpha-2', 'alpha', 'delta']],
  ])('metrics: %s', async (filter, expected) => {
    expect(await matching(filter)).toEqual(expected);
  });

  it.each([
    ["params.lr = '0.01'", ['alpha', 'delta']],
    ["params.lr != '0.01'", ['Alpha-2', 'beta']],
    ["params.lr LIKE '0.0%'", ['Alpha-2', 'alpha', 'delta']],
    ["params.lr IN ('0.1', '0.001')", ['Alpha-2', 'beta']],
    ["params.lr NOT IN ('0.01')", ['Alpha-2', 'beta']],
    ['params.lr IS NULL', ['gamma']],
    ["params.model = 'xgb' and params.lr = '0.01'", ['alpha']],
  ])('params: %s', async (filter, expected) => {
    expect(await matching(filter)).toEqual(expected);
  });

  it.each([
    ["tags.team = 'risk'", ['Alpha-2', 'alpha']],
    ["tags.team LIKE 'r%'", ['Alpha-2', 'alpha']],
    ["tags.team ILIKE 'r%'", ['Alpha-2', 'alpha', 'beta']],
    ["tags.team ILIKE '%ISK'", ['Alpha-2', 'alpha', 'beta']],
    ["tags.note LIKE '100\\%\\_sure'", ['gamma']],
    ["tags.note LIKE '1_0%'", ['gamma']],
    // * and ? are no wildcards in LIKE, on SQLite (GLOB underneath) as on PostgreSQL
    ["tags.pattern LIKE 'a*b'", ['delta']],
    ["tags.pattern LIKE 'a_b'", ['beta', 'delta']],
    ["tags.`mlflow.runName` = 'beta'", ['beta']],
    ['tags.team IS NULL', ['delta']],
  ])('tags: %s', async (filter, expected) => {
    expect(await matching(filter)).toEqual(expected);
  });

  it.each([
    ["attributes.status = 'FINISHED'", ['Alpha-2', 'alpha', 'delta']],
    ["status != 'FINISHED'", ['beta', 'gamma']],
    ["attributes.run_name LIKE 'alpha%'", ['alpha']],
    ["run_name ILIKE 'alpha%'", ['Alpha-2', 'alpha']],
    ['attributes.start_time > 2500', ['Alpha-2', 'delta', 'gamma']],
    ['attributes.start_time <= 2000', ['alpha', 'beta']],
    ['attributes.end_time IS NULL', ['beta']],
    ["attributes.user_id = 'tester'", ['Alpha-2', 'alpha', 'beta', 'delta', 'gamma']],
    ["datasets.context = 'training'", ['alpha']],
    ["datasets.name IN ('flights')", ['alpha']],
  ])('attributes and datasets: %s', async (filter, expected) => {
    expect(await matching(filter)).toEqual(expected);
  });

  it('searches by run id', async () => {
    expect(await matching(`attributes.run_id IN ('${ids.get('alpha')}', '${ids.get('beta')}')`)).toEqual(['alpha', 'beta']);
  });

  it.each([
    ["metrics.auc > 0.8 or params.lr = '0.01'", ['Alpha-2', 'alpha', 'delta']],
    ["(tags.team = 'risk' or tags.team = 'fraud') and params.model = 'xgb'", ['alpha', 'gamma']],
    // and binds tighter than or
    ["tags.team = 'fraud' or tags.team = 'risk' and params.lr = '0.001'", ['Alpha-2', 'gamma']],
    ["(tags.team = 'fraud' or tags.team = 'risk') and params.lr = '0.001'", ['Alpha-2']],
    ["metrics.auc < 0.8 OR (status = 'FINISHED' AND metrics.loss > 0.2)", ['beta', 'delta']],
  ])('or and parentheses: %s', async (filter, expected) => {
    expect(await matching(filter)).toEqual(expected);
  });

  it.each([
    ["metrics.auc = '0.9'", 14],
    ['params.lr > 1', 10],
    ["attributes.nope = 'x'", 0],
    ["datasets.size = 'x'", 0],
    ['attributes.start_time > 1.5', 24],
    ["metrics.auc LIKE '0.9%'", 12],
  ])('refuses %s with the position', async (filter, position) => {
    const err = await failure(tracking.searchRuns(P, { filter }), 'FALAJ_FILTER_INVALID');
    expect(err.details).toMatchObject({ position });
  });

  it('orders by a metric with NaN and then missing values last, both directions', async () => {
    expect(await search({ orderBy: ['metrics.auc DESC'] })).toEqual(['Alpha-2', 'alpha', 'beta', 'gamma', 'delta']);
    expect(await search({ orderBy: ['metrics.auc ASC'] })).toEqual(['beta', 'alpha', 'Alpha-2', 'gamma', 'delta']);
    expect(await search({ filter: 'metrics.auc > 0', orderBy: ['metrics.`auc` desc'] })).toEqual(['Alpha-2', 'alpha', 'beta']);
  });

  it('orders by params, attributes and several keys, breaking ties by start time then id', async () => {
    expect(await search({ orderBy: ['params.lr'] })).toEqual(['Alpha-2', 'delta', 'alpha', 'beta', 'gamma']);
    expect(await search({ orderBy: ['params.lr DESC'] })).toEqual(['beta', 'delta', 'alpha', 'Alpha-2', 'gamma']);
    expect(await search({ orderBy: ['params.lr', 'attributes.start_time ASC'] })).toEqual(['Alpha-2', 'alpha', 'delta', 'beta', 'gamma']);
    expect(await search({ orderBy: ['attributes.start_time ASC'] })).toEqual(['alpha', 'beta', 'gamma', 'delta', 'Alpha-2']);
    expect(await search({ orderBy: ['attributes.run_name'] })).toEqual(['Alpha-2', 'alpha', 'beta', 'delta', 'gamma']);
    expect(await search({})).toEqual(['Alpha-2', 'delta', 'gamma', 'beta', 'alpha']);
    await failure(tracking.searchRuns(P, { orderBy: ['datasets.name'] }), 'FALAJ_FILTER_INVALID');
  });

  it('pages cover every run exactly once, in the unpaged order', async () => {
    for (const orderBy of [[], ['metrics.auc DESC'], ['params.lr ASC']]) {
      const all = await search({ orderBy });
      const paged: string[] = [];
      let pageToken: string | undefined;
      do {
        const page = await tracking.searchRuns(P, { experimentIds: [expA], orderBy, maxResults: 2, pageToken });
        expect(page.items.length).toBeLessThanOrEqual(2);
        paged.push(...page.items.map((r) => r.info.name));
        pageToken = page.nextPageToken;
      } while (pageToken);
      expect(paged).toEqual(all);
    }
    const first = await tracking.searchRuns(P, { experimentIds: [expA], maxResults: 2 });
    await failure(tracking.searchRuns(P, { experimentIds: [expA], maxResults: 2, filter: 'metrics.auc > 0', pageToken: first.nextPageToken }), 'FALAJ_VALIDATION_FAILED');
    await failure(tracking.searchRuns(P, { maxResults: 50_001 }), 'FALAJ_LIMIT_EXCEEDED');
    expect((await tracking.searchRuns(P, { experimentIds: [expA], maxResults: 5 })).nextPageToken).toBeUndefined();
  });

  it('scopes by experiment, project and lifecycle, and returns each run with its data', async () => {
    expect(await search({ experimentIds: [expB] })).toEqual(['other']);
    expect((await tracking.searchRuns(P, {})).items).toHaveLength(6);
    expect(await search({ viewType: 'DELETED_ONLY' })).toEqual(['gone']);
    expect(await search({ viewType: 'ALL', filter: 'metrics.auc > 0.98' })).toEqual(['gone']);
    expect((await tracking.searchRuns('default', {})).items).toEqual([]);
    const [alpha] = (await tracking.searchRuns(P, { filter: "run_name = 'alpha'" })).items;
    expect(alpha!.data).toMatchObject({ params: { lr: '0.01', model: 'xgb' }, tags: { team: 'risk' }, metrics: { auc: { value: 0.9, step: 0, timestamp: 1_000 } } });
    expect(alpha!.inputs).toHaveLength(1);
  });

  it('searches experiments by name, tags and time, ordered and paged', async () => {
    const names = async (q: Parameters<TrackingService['searchExperiments']>[1]) => (await tracking.searchExperiments(P, q)).items.map((e) => e.name);
    expect(await names({ filter: "name LIKE 'search-%'", orderBy: ['name'] })).toEqual(['search-a', 'search-b']);
    expect(await names({ filter: "tags.team = 'risk'" })).toEqual(['search-a']);
    expect(await names({ filter: "name = 'other-c' or tags.team = 'risk'", orderBy: ['name DESC'] })).toEqual(['search-a', 'other-c']);
    expect(await names({ filter: 'creation_time > 0', orderBy: ['experiment_id'] })).toEqual(['search-a', 'search-b', 'other-c']);
    expect(await names({ filter: `creation_time > ${Date.now() + 60_000}` })).toEqual([]);
    const first = await tracking.searchExperiments(P, { orderBy: ['name'], maxResults: 2 });
    const second = await tracking.searchExperiments(P, { orderBy: ['name'], maxResults: 2, pageToken: first.nextPageToken });
    expect([...first.items, ...second.items].map((e) => e.name)).toEqual(['other-c', 'search-a', 'search-b']);
    expect(second.nextPageToken).toBeUndefined();
    await failure(tracking.searchExperiments(P, { filter: 'metrics.auc > 1' }), 'FALAJ_FILTER_INVALID');
  });
});
