import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetName, jobName, newRunId, runEvent, type RunEvent } from '../../../src/data/lineage/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { ENGINES } from '../../registry/registry-app.js';

// Needs the lineage routes registered in src/server/app.ts (services.lineage).
const PROJECT = 'default';
const base = `/api/v1/projects/${PROJECT}/lineage`;

/** An event as the OpenLineage Python client posts it from Airflow. */
function airflowEvent(eventType: RunEvent['eventType'], runId: string): RunEvent {
  return {
    eventType,
    eventTime: '2025-05-01T08:23:37.491542Z',
    run: { runId, facets: { parent: { _producer: 'https://github.com/apache/airflow', _schemaURL: 'https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet', run: { runId }, job: { namespace: 'airflow', name: 'etl' } } } },
    job: { namespace: 'airflow', name: 'etl.load_trips', facets: {} },
    inputs: [{ namespace: 'postgres://db:5432', name: 'public.trips', facets: { schema: { _producer: 'x', _schemaURL: 'y', fields: [{ name: 'fare', type: 'numeric' }] } } }],
    outputs: [{ namespace: `falaj://${PROJECT}`, name: datasetName.source('trips') }],
    producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/airflow',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  };
}

describe.each(ENGINES)('lineage over HTTP on $name', (engine) => {
  let t: TestApp;
  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, token?: string) =>
    t.app.inject({ method, url, headers: t.auth(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const token = async (role: string) => (await inject('POST', `/api/v1/projects/${PROJECT}/tokens`, { role })).json().token as string;

  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.dispose());

  it('takes OpenLineage events from outside tools and walks them with Falaj own runs', async () => {
    const runId = newRunId();
    expect((await inject('POST', base, airflowEvent('START', runId))).statusCode).toBe(201);
    const done = await inject('POST', base, airflowEvent('COMPLETE', runId));
    expect(done.statusCode, done.body).toBe(201);
    expect(done.json()).toMatchObject({ project: PROJECT, runId, eventType: 'COMPLETE', edges: 1 });
    const own = runEvent({ eventType: 'COMPLETE', project: PROJECT, job: jobName.materialize('trip_stats'), inputs: [datasetName.source('trips')], outputs: [datasetName.view('trip_stats')] });
    expect((await inject('POST', base, own)).statusCode).toBe(201);

    const up = await inject('GET', `${base}?node=view/trip_stats&direction=up`);
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json().edges).toEqual([
      { from: 'external/postgres://db:5432/public.trips', to: 'source/trips', job: 'airflow/etl.load_trips' },
      { from: 'source/trips', to: 'view/trip_stats', job: 'materialize/trip_stats' },
    ]);
    const down = (await inject('GET', `${base}?node=${encodeURIComponent('external/postgres://db:5432/public.trips')}&direction=down&depth=1`)).json();
    expect(down.nodes.map((n: { id: string }) => n.id).sort()).toEqual(['external/postgres://db:5432/public.trips', 'source/trips']);

    const events = await inject('GET', `${base}/events?job=${encodeURIComponent('airflow/etl.load_trips')}&limit=5`);
    expect(events.statusCode).toBe(200);
    expect(events.json().events.map((e: { eventType: string }) => e.eventType).sort()).toEqual(['COMPLETE', 'START']);
    // the whole event is kept, facets included
    expect(events.json().events[0].event.run.facets.parent.job).toEqual({ namespace: 'airflow', name: 'etl' });
  });

  it('lets viewers read the graph but only editors report events', async () => {
    const viewer = await token('viewer');
    const editor = await token('editor');
    const event = runEvent({ eventType: 'COMPLETE', project: PROJECT, job: 'j', inputs: ['source/r1'], outputs: ['view/r1'] });
    const denied = await inject('POST', base, event, viewer);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('FALAJ_PERMISSION_DENIED');
    expect((await inject('POST', base, event, editor)).statusCode).toBe(201);
    expect((await inject('GET', `${base}?node=view/r1`, undefined, viewer)).statusCode).toBe(200);
    expect((await inject('GET', `${base}/events`, undefined, viewer)).statusCode).toBe(200);
  });

  it('answers problem details: an invalid event, a bad or unknown node, an unknown project', async () => {
    const bad = { ...airflowEvent('COMPLETE', 'not-a-uuid') };
    const invalid = await inject('POST', base, bad);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers['content-type']).toContain('application/problem+json');
    expect(invalid.json().detail).toContain('runId');

    const noProject = runEvent({ eventType: 'COMPLETE', project: 'nowhere', job: 'j' });
    expect((await inject('POST', '/api/v1/projects/nowhere/lineage', noProject)).json().code).toBe('FALAJ_PROJECT_NOT_FOUND');

    const unknown = await inject('GET', `${base}?node=model/never/1`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('FALAJ_LINEAGE_NODE_NOT_FOUND');
    const badKind = (await inject('GET', `${base}?node=table/x`)).json();
    expect(badKind).toMatchObject({ status: 400, code: 'FALAJ_BAD_REQUEST' });
    expect(badKind.detail).toContain('kinds: source, view, service, dataset, model, predictions, job, external');
    expect((await inject('GET', `${base}?node=view/r1&depth=99`)).statusCode).toBe(400);
  });
});
