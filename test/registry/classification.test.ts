import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/core/errors/index.js';
import { classificationFromDatasets, ModelRegistry, type ClassificationOf } from '../../src/registry/index.js';
import { CLASSIFICATIONS, type Classification } from '../../src/security/index.js';
import { applyOk, driver, type Spec } from '../features/fixtures.js';
import { writeFile } from '../features/store-app.js';
import { ctxOf, ENGINES, failure, person, PROJECT, registryApp, type RegistryApp } from './registry-app.js';

const editor = ctxOf(person('editor'));
const SHA = 'a'.repeat(64);

describe('classification from training datasets', () => {
  const views: Record<string, { version: number; spec: object }[]> = {
    trips: [{ version: 1, spec: { classification: 'public' } }, { version: 2, spec: { classification: 'personal' } }],
    fares: [{ version: 1, spec: { classification: 'confidential' } }],
  };
  const datasets: Record<string, Record<string, number>> = { ds_old: { trips: 1, fares: 1 }, ds_new: { trips: 2 }, ds_pruned: { gone: 3 }, ds_public: { trips: 1 } };
  const classificationOf = classificationFromDatasets(
    {
      get: async (_project, id) => {
        if (!datasets[id]) throw new NotFoundError('FALAJ_DATASET_NOT_FOUND', `no dataset ${id}`);
        return { viewVersions: datasets[id]! };
      },
    },
    {
      describe: async (_project, _kind, name) => {
        if (!views[name]) throw new NotFoundError('FALAJ_FEATURE_OBJECT_NOT_FOUND', `no view ${name}`);
        return { versions: views[name]! };
      },
    },
  );

  it('takes the most protected view version each dataset was built from', async () => {
    expect(await classificationOf(PROJECT, ['ds_public'])).toBe('public');
    expect(await classificationOf(PROJECT, ['ds_old'])).toBe('confidential'); // trips v1 was public, fares confidential
    expect(await classificationOf(PROJECT, ['ds_new'])).toBe('personal'); // the version used, not the newest
    expect(await classificationOf(PROJECT, ['ds_old', 'ds_new'])).toBe('personal');
  });

  it('assumes the worst for a view it can no longer find, and refuses unknown datasets', async () => {
    expect(await classificationOf(PROJECT, ['ds_pruned'])).toBe('sensitive-personal');
    expect((await failure(classificationOf(PROJECT, ['ds_missing']))).code).toBe('FALAJ_DATASET_NOT_FOUND');
  });
});

describe.each(ENGINES)('a version inherits its training data’s classification, metadata on $name', (engine) => {
  let r: RegistryApp;
  let dir: string;
  beforeAll(async () => {
    r = await registryApp(engine);
    dir = await mkdtemp(join(tmpdir(), 'falaj-registry-class-'));
  });
  afterAll(async () => {
    await r?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('with an injected classificationOf: never below internal, never below the caller’s floor, and the model keeps the highest', async () => {
    const levels: Record<string, Classification> = { ds_public: 'public', ds_conf: 'confidential', ds_sens: 'sensitive-personal' };
    const asked: string[][] = [];
    const classificationOf: ClassificationOf = async (_project, ids) => {
      asked.push([...ids]);
      return ids.map((id) => levels[id]!).reduce((a, b) => (CLASSIFICATIONS.indexOf(a) >= CLASSIFICATIONS.indexOf(b) ? a : b));
    };
    const s = r.t.services;
    const models = new ModelRegistry(s.database.db, s.database.dialect, s.audit, s.projects, { classificationOf });
    await models.createModel(editor, PROJECT, { name: 'inherit' });
    const version = (datasets: string[], classification?: Classification) =>
      models.createVersion(editor, PROJECT, 'inherit', { source: 's3://m', lineage: { datasets: datasets.map((id) => ({ id, sha256: SHA })) }, ...(classification ? { classification } : {}) });
    expect((await version(['ds_public'])).classification).toBe('internal');
    expect((await version([])).classification).toBe('internal');
    expect(asked).toEqual([['ds_public']]); // no datasets, nothing to ask
    expect((await version(['ds_public', 'ds_conf'])).classification).toBe('confidential');
    expect((await version(['ds_public'], 'personal')).classification).toBe('personal');
    expect((await version(['ds_sens'], 'internal')).classification).toBe('sensitive-personal'); // a floor cannot lower it
    expect((await models.getModel(PROJECT, 'inherit')).classification).toBe('sensitive-personal');
    expect((await version(['ds_public'])).classification).toBe('internal'); // versions stand alone…
    expect((await models.getModel(PROJECT, 'inherit')).classification).toBe('sensitive-personal'); // …the model keeps its highest
    expect((await failure(models.createVersion(editor, PROJECT, 'inherit', { source: 's3://m', lineage: { datasets: [{ id: 'x', sha256: 'not-a-digest' }] } }))).code).toBe('FALAJ_VALIDATION_FAILED');
  });

  it('end to end: a dataset built from a personal feature view makes the version personal', async () => {
    const source = join(dir, 'trip_log.parquet');
    await writeFile(source, `SELECT * FROM (VALUES (1::BIGINT, TIMESTAMP '2024-06-01 10:00:00', 3::BIGINT, 'Dubai')) AS t(driver_id, ts, trips, home)`);
    const specs: Spec[] = [
      driver,
      { kind: 'BatchSource', name: 'trip_log', path: source, timestampField: 'ts', classification: 'public' },
      { kind: 'FeatureView', name: 'activity', entities: ['driver'], source: 'trip_log', ttl: '0', online: false, classification: 'public', features: [{ name: 'trips', type: 'int64' }] },
      { kind: 'FeatureView', name: 'home', entities: ['driver'], source: 'trip_log', ttl: '0', online: false, classification: 'personal', features: [{ name: 'home', type: 'string' }] },
      { kind: 'FeatureService', name: 'with_home', features: ['activity:*', 'home:*'] },
      { kind: 'FeatureService', name: 'activity_only', features: ['activity:*'] },
    ];
    await applyOk(r.t, specs);
    const spine = join(dir, 'spine.csv');
    await writeFile(spine, `SELECT 1::BIGINT AS driver_id, TIMESTAMP '2024-06-02 00:00:00' AS event_timestamp`);
    const build = async (featureService: string) => {
      const res = await r.t.app.inject({ method: 'POST', url: `/api/v1/projects/${PROJECT}/datasets?featureService=${featureService}&format=csv`, headers: { ...r.t.auth(), 'content-type': 'application/octet-stream' }, payload: await readFile(spine) });
      expect(res.statusCode, res.body).toBe(201);
      return res.json() as { id: string; sha256: string; featureServiceVersion: number };
    };
    const personal = await build('with_home');
    const plain = await build('activity_only');

    const models = r.t.services.models;
    await models.createModel(editor, PROJECT, { name: 'eta' });
    const register = (ds: { id: string; sha256: string }) =>
      r.inject('POST', `/api/v1/projects/${PROJECT}/models/eta/versions`, { source: 's3://bucket/eta', lineage: { datasets: [{ id: ds.id, sha256: ds.sha256 }], featureService: { name: 'with_home', version: personal.featureServiceVersion } } });
    const fromPlain = await register(plain);
    expect(fromPlain.statusCode, fromPlain.body).toBe(201);
    expect(fromPlain.json().classification).toBe('internal');
    const fromPersonal = (await register(personal)).json();
    expect(fromPersonal).toMatchObject({ classification: 'personal', lineage: { datasets: [{ id: personal.id, sha256: personal.sha256 }], featureService: { name: 'with_home' } } });
    expect((await models.getModel(PROJECT, 'eta')).classification).toBe('personal');
    const unknown = await r.inject('POST', `/api/v1/projects/${PROJECT}/models/eta/versions`, { source: 's3://bucket/eta', lineage: { datasets: [{ id: 'ds_00000000000000000000000000', sha256: SHA }] } });
    expect(unknown.json().code).toBe('FALAJ_DATASET_NOT_FOUND');
  });
});
