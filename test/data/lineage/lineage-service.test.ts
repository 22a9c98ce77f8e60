import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetName, jobName, LineageService, newRunId, nodeOf, runEvent, type RunEvent } from '../../../src/data/lineage/index.js';
import { SYSTEM_PRINCIPAL } from '../../../src/security/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { ENGINES, failure } from '../../registry/registry-app.js';
import { completedRun, flightsChain, freshProject } from './lineage-fixtures.js';

const ids = (g: { nodes: { id: string }[] }) => g.nodes.map((n) => n.id).sort();

describe.each(ENGINES)('lineage store on $name', (engine) => {
  let t: TestApp;
  let lineage: LineageService;
  beforeAll(async () => {
    t = await createTestApp(engine);
    lineage = new LineageService(t.services.database.db, t.services.projects, t.services.audit);
  });
  afterAll(async () => {
    await lineage?.close();
    await t?.dispose();
  });

  it('answers which sources feed a model (up), with the job of every link', async () => {
    const project = await freshProject(t);
    await flightsChain(lineage, project);
    const g = await lineage.graph(project, datasetName.model('fraud', 1), { direction: 'up' });
    expect(ids(g)).toEqual(['dataset/ds_1', 'job/ingest/trips', 'model/fraud/1', 'service/fraud', 'source/drivers', 'source/trips', 'view/driver_stats', 'view/trip_stats']);
    expect(g.edges).toContainEqual({ from: 'source/trips', to: 'view/trip_stats', job: 'materialize/trip_stats' });
    expect(g.edges).toContainEqual({ from: 'dataset/ds_1', to: 'model/fraud/1', job: 'train/fraud-nightly' });
    // an ingestion has no input dataset: its job is the root, so it does not vanish from the graph
    expect(g.edges).toContainEqual({ from: 'job/ingest/trips', to: 'source/trips', job: 'ingest/trips' });
    expect(g.nodes.find((n) => n.id === 'model/fraud/1')).toEqual({ id: 'model/fraud/1', kind: 'model', name: 'fraud/1' });
    expect(g.truncated).toBe(false);
  });

  it('answers which models use a feature view (down), without the siblings a walk both ways at every step would add', async () => {
    const project = await freshProject(t);
    await flightsChain(lineage, project);
    const down = await lineage.graph(project, datasetName.view('trip_stats'), { direction: 'down' });
    expect(ids(down)).toEqual(['dataset/ds_1', 'model/fraud/1', 'predictions/fraud-api', 'view/trip_stats']);
    const both = await lineage.graph(project, datasetName.view('trip_stats'));
    expect(both.direction).toBe('both');
    expect(ids(both)).toEqual(['dataset/ds_1', 'job/ingest/trips', 'model/fraud/1', 'predictions/fraud-api', 'source/trips', 'view/trip_stats']);
    expect(ids(both)).not.toContain('view/driver_stats');
  });

  it('stops after depth steps', async () => {
    const project = await freshProject(t);
    await flightsChain(lineage, project);
    expect(ids(await lineage.graph(project, 'model/fraud/1', { direction: 'up', depth: 1 }))).toEqual(['dataset/ds_1', 'model/fraud/1']);
    const two = await lineage.graph(project, 'model/fraud/1', { direction: 'up', depth: 2 });
    expect(ids(two)).toEqual(['dataset/ds_1', 'model/fraud/1', 'service/fraud', 'view/driver_stats', 'view/trip_stats']);
    expect(two.edges.every((e) => ids(two).includes(e.from) && ids(two).includes(e.to))).toBe(true);
  });

  it('links only COMPLETE runs: a started, failed or aborted run adds nothing to the graph', async () => {
    const project = await freshProject(t);
    const input = { project, job: jobName.materialize('late'), inputs: [datasetName.source('late')], outputs: [datasetName.view('late')] };
    const runId = newRunId();
    for (const eventType of ['START', 'RUNNING', 'FAIL'] as const) {
      const r = await lineage.emit(runEvent({ ...input, eventType, runId }));
      expect(r.edges).toBe(0);
    }
    const err = await failure(lineage.graph(project, 'view/late'));
    expect(err.code).toBe('FALAJ_LINEAGE_NODE_NOT_FOUND');
    expect(err.message).toContain('view/late');
    const events = await lineage.listEvents(project);
    expect(events.map((e) => e.eventType)).toEqual(expect.arrayContaining(['START', 'RUNNING', 'FAIL']));
    expect(events[0]!.inputs).toEqual(['source/late']);
  });

  it('keeps one link per input, output and job however often a run completes, pointing at the latest run', async () => {
    const project = await freshProject(t);
    const input = { project, job: jobName.materialize('hourly'), inputs: [datasetName.source('trips')], outputs: [datasetName.view('hourly')] };
    await completedRun(lineage, input);
    const second = await completedRun(lineage, input, '2025-02-01T00:00:00.000Z');
    // the same dataset listed twice, and an incremental job reading what it writes, add no extra links
    const third = runEvent({ ...input, eventType: 'COMPLETE', inputs: ['source/trips', 'source/trips', 'view/hourly'] });
    expect((await lineage.emit(third)).edges).toBe(1);
    const g = await lineage.graph(project, 'view/hourly', { direction: 'up' });
    expect(g.edges).toEqual([{ from: 'source/trips', to: 'view/hourly', job: 'materialize/hourly' }]);
    const rows = await t.services.database.db.selectFrom('lineage_edges').selectAll().where('project', '=', project).execute();
    expect(rows).toHaveLength(1);
    expect(second.run.runId).not.toBe(third.run.runId);
    expect(rows[0]!.run_id).toBe(third.run.runId);
    expect(await lineage.graph(project, 'source/trips', { direction: 'down' })).toMatchObject({ edges: [{ from: 'source/trips', to: 'view/hourly' }] });
  });

  it('lists events newest first by event time, by job, with the full event kept as received', async () => {
    const project = await freshProject(t);
    await completedRun(lineage, { project, job: jobName.materialize('a'), inputs: ['source/x'], outputs: ['view/a'] }, '2025-03-01T00:00:00.000Z');
    const b = await completedRun(lineage, { project, job: jobName.materialize('b'), inputs: ['source/x'], outputs: ['view/b'] }, '2025-01-01T00:00:00.000Z');
    const all = await lineage.listEvents(project);
    expect(all.map((e) => `${e.job.name} ${e.eventType}`)).toEqual(['materialize/a COMPLETE', 'materialize/a START', 'materialize/b COMPLETE', 'materialize/b START']);
    const onlyB = await lineage.listEvents(project, { job: 'materialize/b', limit: 1 });
    expect(onlyB).toHaveLength(1);
    expect(onlyB[0]!.event).toEqual(b);
    expect(onlyB[0]!.job).toEqual({ namespace: `falaj://${project}`, name: 'materialize/b', key: 'materialize/b' });
    expect(onlyB[0]!.eventTime).toBe('2025-01-01T00:01:00.000Z');
  });

  it('takes events of outside tools: their datasets and jobs keep their own namespaces', async () => {
    const project = await freshProject(t);
    const event: RunEvent = {
      eventType: 'COMPLETE',
      eventTime: '2025-01-01T10:00:00+04:00',
      run: { runId: newRunId() },
      job: { namespace: 'airflow://scheduler', name: 'etl.load_trips' },
      inputs: [{ namespace: 'postgres://db:5432', name: 'public.trips' }],
      outputs: [{ namespace: `falaj://${project}`, name: 'source/trips' }],
      producer: 'https://github.com/apache/airflow/tree/providers-openlineage/1.0',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    };
    const result = await lineage.report({ principal: SYSTEM_PRINCIPAL, requestId: 'req-1' }, project, event);
    expect(result).toMatchObject({ project, eventType: 'COMPLETE', edges: 1 });
    const g = await lineage.graph(project, 'source/trips', { direction: 'up' });
    expect(g.edges).toEqual([{ from: 'external/postgres://db:5432/public.trips', to: 'source/trips', job: 'airflow://scheduler/etl.load_trips' }]);
    expect(g.nodes).toContainEqual({ id: 'external/postgres://db:5432/public.trips', kind: 'external', name: 'postgres://db:5432/public.trips' });
    const [stored] = await lineage.listEvents(project);
    expect(stored!.eventTime).toBe('2025-01-01T06:00:00.000Z');
    const audit = await t.services.audit.list({ project, action: 'lineage.report', limit: 10 });
    expect(audit).toHaveLength(1);
    expect(audit[0]!).toMatchObject({ resource: 'lineage/airflow://scheduler/etl.load_trips', requestId: 'req-1', details: { runId: event.run.runId, inputs: 1, outputs: 1 } });
  });

  it('refuses invalid events, naming every problem, and stores nothing', async () => {
    const project = await freshProject(t);
    const bad = { eventType: 'DONE', eventTime: 'yesterday', run: { runId: '42' }, job: { namespace: `falaj://${project}`, name: '' }, outputs: [{ name: 'x' }], producer: 'p' };
    const err = await failure(lineage.emit(bad as unknown as RunEvent));
    expect(err.code).toBe('FALAJ_LINEAGE_EVENT_INVALID');
    expect((err.details!.errors as { path: string }[]).map((e) => e.path)).toEqual(['/eventTime', '/eventType', '/run/runId', '/job/name', '/outputs/0']);
    const foreign = runEvent({ eventType: 'START', project, job: 'x' });
    foreign.job.namespace = 'spark://cluster';
    expect((await failure(lineage.emit(foreign))).message).toContain('name the project');
    expect(await lineage.listEvents(project)).toEqual([]);
    expect((await failure(lineage.listEvents('no-such-project'))).code).toBe('FALAJ_PROJECT_NOT_FOUND');
  });

  it('names nodes <kind>/<name> and refuses any other', async () => {
    expect(nodeOf('model', 'fraud/3')).toBe('model/fraud/3');
    const project = await freshProject(t);
    expect((await failure(lineage.graph(project, 'table/trips'))).message).toContain('kinds: source, view');
    await completedRun(lineage, { project, job: 'j', inputs: ['source/a'], outputs: ['view/b'] });
    expect((await failure(lineage.graph(project, 'view/b', { depth: 0 }))).code).toBe('FALAJ_BAD_REQUEST');
  });
});
