import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../../src/security/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { applyOk, type Spec } from '../../features/fixtures.js';

const system = { principal: SYSTEM_PRINCIPAL, requestId: 'test' };
const DEFINITIONS: Spec[] = [
  { kind: 'Entity', name: 'driver', joinKeys: ['driver_id'], valueType: 'int64' },
  { kind: 'PushSource', name: 'trips', classification: 'public', timestampField: 'ts', schema: { driver_id: 'int64', ts: 'timestamp', fare: 'float64' } },
  { kind: 'FeatureView', name: 'fares', entities: ['driver'], source: 'trips', ttl: '0', classification: 'public', features: [{ name: 'fare', type: 'float64' }] },
  { kind: 'FeatureService', name: 'fare_model', features: ['fares:*'] },
];

/** The lineage every step leaves, walked from the model up and from the view down. */
describe('lineage from raw source to model', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ name: 'sqlite' }, { 'training.localPool': false });
    await applyOk(t, DEFINITIONS);
    const csv = join(t.dataDir, 'trips.csv');
    await writeFile(csv, 'driver_id,ts,fare\n1,2026-01-01T10:00:00Z,10\n2,2026-01-01T11:00:00Z,20\n');
    await t.services.ingestions.ingest(system, 'default', 'trips', { path: csv, format: 'csv' });
    await t.services.materializer.run(system, 'default', { start: new Date('2025-12-01'), end: new Date('2026-02-01'), incremental: false }, () => undefined);
    const spine = join(t.dataDir, 'spine.csv');
    await writeFile(spine, 'driver_id,event_timestamp\n1,2026-01-02T00:00:00Z\n2,2026-01-02T00:00:00Z\n');
    const dataset = await t.services.datasets.build(system, 'default', { featureService: 'fare_model', spinePath: spine });
    await t.services.models.createModel(system, 'default', { name: 'fare' });
    await t.services.models.createVersion(system, 'default', 'fare', { source: 's3://models/fare/1', lineage: { datasets: [{ id: dataset.id, sha256: dataset.sha256 }], featureService: { name: 'fare_model', version: 1 } } });
    await t.services.lineage.flush();
  });
  afterAll(async () => t?.dispose());

  const graph = async (node: string, direction: 'up' | 'down') => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/projects/default/lineage?node=${encodeURIComponent(node)}&direction=${direction}`, headers: t.auth() });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { nodes: { id: string }[]; edges: { from: string; to: string; job: string }[] };
  };

  it('knows which sources feed a model', async () => {
    const up = await graph('model/fare/1', 'up');
    const ids = up.nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining(['model/fare/1', 'service/fare_model', 'view/fares', 'source/trips']));
    expect(ids.some((id) => id.startsWith('dataset/ds_'))).toBe(true);
    expect(up.edges.map((e) => e.job)).toEqual(expect.arrayContaining(['register/fare', 'training-set/fare_model', 'materialize/fares']));
  });

  it('knows which models use a feature view', async () => {
    const down = await graph('view/fares', 'down');
    expect(down.nodes.map((n) => n.id)).toContain('model/fare/1');
  });

  it('keeps each run as an OpenLineage event with facets', async () => {
    const events = (await t.app.inject({ method: 'GET', url: '/api/v1/projects/default/lineage/events?job=ingest/trips', headers: t.auth() })).json().events as { event: { eventType: string; outputs: { name: string; facets: Record<string, unknown> }[]; producer: string } }[];
    expect(events).toHaveLength(1);
    const event = events[0]!.event;
    expect(event.eventType).toBe('COMPLETE');
    expect(event.outputs[0]!.name).toBe('source/trips');
    expect(Object.keys(event.outputs[0]!.facets)).toEqual(expect.arrayContaining(['schema']));
  });
});
