import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, type TrackingService } from '../../src/tracking/index.js';
import type { TestApp } from '../helpers/app.js';
import { ctx, ENGINES, failure, trackingApp } from './tracking-fixtures.js';

describe.each(ENGINES)('tracking service on $name', (engine) => {
  let app: TestApp;
  let tracking: TrackingService;
  let experimentId: string;
  const P = 'default';

  beforeAll(async () => {
    app = await trackingApp(engine);
    tracking = app.services.tracking;
    experimentId = (await tracking.createExperiment(ctx, P, { name: 'service-tests' })).id;
  });
  afterAll(async () => app?.dispose());

  const newRun = async (name?: string) => (await tracking.createRun(ctx, P, { experimentId, ...(name ? { name } : {}) })).info.id;
  const auditActions = async () => (await app.services.audit.list({ project: P, limit: 10_000 })).map((e) => e.action);

  describe('experiments', () => {
    it('creates experiments with increasing MLflow ids and unique names, and finds them three ways', async () => {
      const a = await tracking.createExperiment(ctx, P, { name: 'exp-a', tags: { team: 'risk' } });
      const b = await tracking.createExperiment(ctx, P, { name: 'exp-b' });
      expect(a.id).toMatch(/^exp_[0-9a-z]{26}$/);
      expect(Number(b.mlflowId)).toBe(Number(a.mlflowId) + 1);
      expect(a).toMatchObject({ project: P, lifecycleStage: 'active', tags: { team: 'risk' }, artifactLocation: `mlflow-artifacts:/${a.mlflowId}`, createdBy: 'usr_tester' });
      expect(await tracking.getExperimentByName(P, 'exp-a')).toEqual(a);
      expect(await tracking.getExperimentByMlflowId(P, a.mlflowId)).toEqual(a);
      await failure(tracking.createExperiment(ctx, P, { name: 'exp-a' }), 'FALAJ_EXPERIMENT_EXISTS');
      await failure(tracking.getExperiment(P, 'exp_00000000000000000000000000'), 'FALAJ_EXPERIMENT_NOT_FOUND');
      await failure(tracking.getExperimentByMlflowId(P, 'abc'), 'FALAJ_EXPERIMENT_NOT_FOUND');
      await failure(tracking.createExperiment(ctx, 'no-such-project', { name: 'x' }), 'FALAJ_PROJECT_NOT_FOUND');
    });

    it('keeps MLflow ids unique when creations race', async () => {
      const made = await Promise.all(Array.from({ length: 8 }, (_, i) => tracking.createExperiment(ctx, P, { name: `race-${i}` })));
      expect(new Set(made.map((e) => e.mlflowId)).size).toBe(8);
    });

    it('makes the Default experiment (MLflow id 0) once, on demand', async () => {
      const [first, second] = await Promise.all([tracking.defaultExperiment(ctx, P), tracking.defaultExperiment(ctx, P)]);
      expect(first).toMatchObject({ mlflowId: '0', name: 'Default' });
      expect(second!.id).toBe(first!.id);
      // where a user's experiment already took the name, that is said plainly
      await app.services.projects.create(ctx, { name: 'named-default' });
      await tracking.createExperiment(ctx, 'named-default', { name: 'Default' });
      await failure(tracking.defaultExperiment(ctx, 'named-default'), 'FALAJ_EXPERIMENT_EXISTS');
    });

    it('renames, tags, deletes with its runs, and restores them, auditing each change', async () => {
      const exp = await tracking.createExperiment(ctx, P, { name: 'to-rename' });
      const run = (await tracking.createRun(ctx, P, { experimentId: exp.id })).info.id;
      await failure(tracking.renameExperiment(ctx, P, exp.id, 'exp-b'), 'FALAJ_EXPERIMENT_EXISTS');
      expect((await tracking.renameExperiment(ctx, P, exp.id, 'renamed')).name).toBe('renamed');
      expect((await tracking.setExperimentTag(ctx, P, exp.id, 'owner', 'ml-team')).tags).toEqual({ owner: 'ml-team' });
      expect((await tracking.deleteExperimentTag(ctx, P, exp.id, 'owner')).tags).toEqual({});

      expect((await tracking.deleteExperiment(ctx, P, exp.id)).lifecycleStage).toBe('deleted');
      expect((await tracking.getRun(P, run)).info.lifecycleStage).toBe('deleted');
      await failure(tracking.createRun(ctx, P, { experimentId: exp.id }), 'FALAJ_EXPERIMENT_NOT_FOUND');
      // a deleted experiment keeps its name
      await failure(tracking.createExperiment(ctx, P, { name: 'renamed' }), 'FALAJ_EXPERIMENT_EXISTS');
      expect((await tracking.restoreExperiment(ctx, P, exp.id)).lifecycleStage).toBe('active');
      expect((await tracking.getRun(P, run)).info.lifecycleStage).toBe('active');

      const audited = await app.services.audit.list({ project: P, limit: 10_000 });
      const mine = audited.filter((e) => e.resource === `experiment/${exp.id}`).map((e) => e.action);
      expect(mine).toEqual(['experiment.create', 'experiment.update', 'experiment.update', 'experiment.update', 'experiment.delete', 'experiment.restore']);
      expect(audited.find((e) => e.action === 'experiment.delete' && e.resource === `experiment/${exp.id}`)).toMatchObject({ actor: 'usr_tester', project: P, requestId: 'req-tracking-test', details: { runsDeleted: 1 } });
    });
  });

  describe('runs', () => {
    it('creates a RUNNING run with a 32-hex id, a name tag, the user and the source version', async () => {
      const run = await tracking.createRun(ctx, P, { experimentId, name: 'first', tags: { team: 'risk' }, sourceVersion: 'abc123', startTime: 1_700_000_000_000 });
      expect(run.info).toMatchObject({ name: 'first', status: 'RUNNING', startTime: 1_700_000_000_000, endTime: null, user: 'tester', lifecycleStage: 'active', experimentId });
      expect(run.info.id).toMatch(/^[0-9a-f]{32}$/);
      const exp = await tracking.getExperiment(P, experimentId);
      expect(run.info.artifactUri).toBe(`mlflow-artifacts:/${exp.mlflowId}/${run.info.id}/artifacts`);
      expect((await tracking.getRun(P, run.info.id)).data.tags).toEqual({ team: 'risk', 'mlflow.runName': 'first', 'mlflow.source.git.commit': 'abc123' });
      // unnamed runs get a generated name
      expect((await tracking.createRun(ctx, P, { experimentId })).info.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    });

    it('updates status, end time and name; a terminal status without an end time ends it now', async () => {
      const id = await newRun('before');
      const before = Date.now();
      const info = await tracking.updateRun(ctx, P, id, { status: 'FINISHED', name: 'after' });
      expect(info.status).toBe('FINISHED');
      expect(info.endTime).toBeGreaterThanOrEqual(before);
      const run = await tracking.getRun(P, id);
      expect(run.info).toMatchObject({ name: 'after', status: 'FINISHED' });
      expect(run.data.tags['mlflow.runName']).toBe('after');
      expect((await tracking.updateRun(ctx, P, id, { endTime: 42 })).endTime).toBe(42);
      // setting the mlflow.runName tag renames the run, as in MLflow
      await tracking.setTag(P, id, { key: 'mlflow.runName', value: 'by-tag' });
      expect((await tracking.getRun(P, id)).info.name).toBe('by-tag');
      await failure(tracking.setTag(P, id, { key: 'mlflow.runName', value: 'n'.repeat(251) }), 'FALAJ_LIMIT_EXCEEDED');
    });

    it('deletes softly: no writes to a deleted run until it is restored; runs of other projects are not found', async () => {
      const id = await newRun();
      await tracking.deleteRun(ctx, P, id);
      await failure(tracking.logMetric(P, id, { key: 'loss', value: 1, step: 0, timestamp: 1 }), 'FALAJ_RUN_NOT_ACTIVE');
      await failure(tracking.updateRun(ctx, P, id, { status: 'FAILED' }), 'FALAJ_RUN_NOT_ACTIVE');
      await tracking.restoreRun(ctx, P, id);
      await tracking.logMetric(P, id, { key: 'loss', value: 1, step: 0, timestamp: 1 });
      await failure(tracking.getRun(P, 'f'.repeat(32)), 'FALAJ_RUN_NOT_FOUND');
      await app.services.projects.create(ctx, { name: 'other-team' });
      await failure(tracking.getRun('other-team', id), 'FALAJ_RUN_NOT_FOUND');
      await failure(tracking.logParam('other-team', id, { key: 'a', value: 'b' }), 'FALAJ_RUN_NOT_FOUND');
      const actions = await auditActions();
      expect(actions).toEqual(expect.arrayContaining(['run.create', 'run.delete', 'run.restore']));
    });
  });

  describe('write rules', () => {
    it('params are immutable: the same value again is fine, another value is a conflict', async () => {
      const id = await newRun();
      await tracking.logParam(P, id, { key: 'lr', value: '0.01' });
      await tracking.logParam(P, id, { key: 'lr', value: '0.01' });
      const err = await failure(tracking.logParam(P, id, { key: 'lr', value: '0.02' }), 'FALAJ_PARAM_IMMUTABLE');
      expect(err.message).toContain('0.01');
      await failure(tracking.logBatch(P, id, { params: [{ key: 'x', value: '1' }, { key: 'x', value: '2' }] }), 'FALAJ_VALIDATION_FAILED');
      expect((await tracking.getRun(P, id)).data.params).toEqual({ lr: '0.01' });
    });

    it('tags overwrite and delete; deleting a missing tag is not an error', async () => {
      const id = await newRun('tagged');
      await tracking.setTag(P, id, { key: 'team', value: 'risk' });
      await tracking.setTag(P, id, { key: 'team', value: 'fraud' });
      await tracking.logBatch(P, id, { tags: [{ key: 'stage', value: 'a' }, { key: 'stage', value: 'b' }] });
      expect((await tracking.getRun(P, id)).data.tags).toMatchObject({ team: 'fraud', stage: 'b' });
      expect(await tracking.deleteTag(P, id, 'team')).toBe(true);
      expect(await tracking.deleteTag(P, id, 'team')).toBe(false);
      expect((await tracking.getRun(P, id)).data.tags).not.toHaveProperty('team');
    });

    it("keeps MLflow's latest point per metric: greatest step, then timestamp, then value", async () => {
      const id = await newRun();
      const log = (value: number, step: number, timestamp: number) => tracking.logMetric(P, id, { key: 'm', value, step, timestamp });
      const latest = async () => (await tracking.getRun(P, id)).data.metrics.m;
      await log(5, 3, 100);
      await log(9, 2, 999); // lower step: history only
      expect(await latest()).toEqual({ value: 5, step: 3, timestamp: 100 });
      await log(1, 3, 101); // same step, later
      expect(await latest()).toEqual({ value: 1, step: 3, timestamp: 101 });
      await log(0.5, 3, 101); // same step and time, smaller value
      expect(await latest()).toEqual({ value: 1, step: 3, timestamp: 101 });
      await log(2, 3, 101); // same step and time, greater value
      expect(await latest()).toEqual({ value: 2, step: 3, timestamp: 101 });
      // within one batch, whatever the order of the points
      await tracking.logBatch(P, id, {
        metrics: [
          { key: 'm', value: 7, step: 10, timestamp: 5 },
          { key: 'm', value: 8, step: 11, timestamp: 1 },
          { key: 'm', value: 6, step: 4, timestamp: 9_999 },
        ],
      });
      expect(await latest()).toEqual({ value: 8, step: 11, timestamp: 1 });
      expect((await tracking.metricHistory(P, id, 'm')).items.map((p) => p.value)).toEqual([9, 5, 0.5, 1, 2, 6, 7, 8]);
    });

    it('stores NaN and ±Infinity, and a resent point once', async () => {
      const id = await newRun();
      const points = [
        { key: 'nan', value: Number.NaN, step: 0, timestamp: 1 },
        { key: 'inf', value: Number.POSITIVE_INFINITY, step: 0, timestamp: 1 },
        { key: 'ninf', value: Number.NEGATIVE_INFINITY, step: 0, timestamp: 1 },
      ];
      await tracking.logBatch(P, id, { metrics: points });
      await tracking.logBatch(P, id, { metrics: points }); // a client retrying the batch
      const { metrics } = (await tracking.getRun(P, id)).data;
      expect(metrics.nan!.value).toBeNaN();
      expect(metrics.inf!.value).toBe(Number.POSITIVE_INFINITY);
      expect(metrics.ninf!.value).toBe(Number.NEGATIVE_INFINITY);
      expect((await tracking.metricHistory(P, id, 'nan')).items).toHaveLength(1);
    });

    it('pages through a long history in step order, each point once', async () => {
      const id = await newRun();
      for (let start = 0; start < 2_500; start += 1_000) {
        const metrics = Array.from({ length: Math.min(1_000, 2_500 - start) }, (_, i) => ({ key: 'loss', value: 1 / (start + i + 1), step: start + i, timestamp: 1_000 + start + i }));
        await tracking.logBatch(P, id, { metrics: metrics.reverse() });
      }
      const steps: number[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await tracking.metricHistory(P, id, 'loss', { maxResults: 1_000, pageToken });
        steps.push(...page.items.map((p) => p.step));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken);
      expect(pages).toBe(3);
      expect(steps).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
      await failure(tracking.metricHistory(P, id, 'loss', { maxResults: 25_001 }), 'FALAJ_LIMIT_EXCEEDED');
      await failure(tracking.metricHistory(P, id, 'loss', { pageToken: 'garbage' }), 'FALAJ_VALIDATION_FAILED');
    });

    it('writes a batch all or nothing: one bad item and nothing of it is stored', async () => {
      const id = await newRun();
      await tracking.logBatch(P, id, { params: [{ key: 'lr', value: '0.1' }], metrics: [{ key: 'auc', value: 0.5, step: 0, timestamp: 1 }] });
      const metrics = Array.from({ length: 50 }, (_, i) => ({ key: 'auc', value: i / 50, step: i + 1, timestamp: 2 }));
      // conflicts at the database (the last param)
      await failure(tracking.logBatch(P, id, { metrics, tags: [{ key: 't', value: 'x' }], params: [{ key: 'new', value: '1' }, { key: 'lr', value: '0.2' }] }), 'FALAJ_PARAM_IMMUTABLE');
      // refused before the database (a bad key at the end)
      await failure(tracking.logBatch(P, id, { metrics: [...metrics, { key: '../escape', value: 1, step: 0, timestamp: 1 }] }), 'FALAJ_VALIDATION_FAILED');
      const run = await tracking.getRun(P, id);
      expect(run.data.params).toEqual({ lr: '0.1' });
      expect(run.data.metrics.auc).toEqual({ value: 0.5, step: 0, timestamp: 1 });
      expect(run.data.tags).not.toHaveProperty('t');
      expect((await tracking.metricHistory(P, id, 'auc')).items).toHaveLength(1);
    });

    it("enforces MLflow's limits with FALAJ_LIMIT_EXCEEDED, and its key rules", async () => {
      const id = await newRun();
      const metric = (i: number) => ({ key: `m${i % 5}`, value: i, step: i, timestamp: 1 });
      const item = (i: number) => ({ key: `k${i}`, value: 'v' });
      await failure(tracking.logParam(P, id, { key: 'k'.repeat(LIMITS.keyLength + 1), value: '1' }), 'FALAJ_LIMIT_EXCEEDED');
      await failure(tracking.logParam(P, id, { key: 'p', value: 'v'.repeat(6_001) }), 'FALAJ_LIMIT_EXCEEDED');
      await failure(tracking.setTag(P, id, { key: 't', value: 'v'.repeat(8_001) }), 'FALAJ_LIMIT_EXCEEDED');
      await failure(tracking.logBatch(P, id, { metrics: Array.from({ length: 1_001 }, (_, i) => metric(i)) }), 'FALAJ_LIMIT_EXCEEDED');
      await failure(tracking.logBatch(P, id, { params: Array.from({ length: 101 }, (_, i) => item(i)) }), 'FALAJ_LIMIT_EXCEEDED');
      await failure(tracking.logBatch(P, id, { tags: Array.from({ length: 101 }, (_, i) => item(i)) }), 'FALAJ_LIMIT_EXCEEDED');
      const err = await failure(
        tracking.logBatch(P, id, { metrics: Array.from({ length: 1_000 }, (_, i) => metric(i)), params: [item(0)] }),
        'FALAJ_LIMIT_EXCEEDED',
      );
      expect(err.details).toEqual({ limit: 1_000, actual: 1_001 });
      // at the limits exactly: accepted (the longest param value included)
      await tracking.logBatch(P, id, { metrics: Array.from({ length: 1_000 }, (_, i) => metric(i)) });
      await tracking.logBatch(P, id, { params: [{ key: 'k'.repeat(250), value: 'é'.repeat(6_000) }, ...Array.from({ length: 99 }, (_, i) => item(i))], tags: Array.from({ length: 100 }, (_, i) => item(i)) });
      expect((await tracking.getRun(P, id)).data.params['k'.repeat(250)]).toHaveLength(6_000);
      for (const bad of ['', 'a\\b', 'a//b', '/abs', './x', 'x/..', 'semi;colon']) await failure(tracking.setTag(P, id, { key: bad, value: '1' }), 'FALAJ_VALIDATION_FAILED');
      await tracking.logMetric(P, id, { key: 'val/loss: top-1 acc.é', value: 1, step: 0, timestamp: 1 });
    });

    it('records dataset inputs with their digests and context, once per dataset', async () => {
      const id = await newRun();
      const input = { name: 'flights', digest: 'abc123', sourceType: 'falaj-dataset', source: 'ds_123', tags: { 'mlflow.data.context': 'training' } };
      await tracking.logInputs(P, id, [input, { name: 'flights-eval', digest: 'def456', sourceType: 'local', source: '/data/eval.parquet', schema: '{"a":"int"}' }]);
      await tracking.logInputs(P, id, [input]);
      const { inputs } = await tracking.getRun(P, id);
      expect(inputs).toHaveLength(2);
      expect(inputs.find((i) => i.name === 'flights')).toEqual(input);
      await failure(tracking.logInputs(P, id, [{ ...input, digest: 'x'.repeat(37) }]), 'FALAJ_LIMIT_EXCEEDED');
    });

    it('does not audit logged data, only changes to runs and experiments', async () => {
      const before = (await auditActions()).length;
      const id = await newRun();
      await tracking.logBatch(P, id, { metrics: [{ key: 'a', value: 1, step: 0, timestamp: 1 }], params: [{ key: 'p', value: '1' }], tags: [{ key: 't', value: '1' }] });
      await tracking.updateRun(ctx, P, id, { status: 'FINISHED' });
      const after = await auditActions();
      expect(after.slice(before)).toEqual(['run.create', 'run.update']);
    });
  });
});
