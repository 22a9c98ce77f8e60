import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRegistry } from '../../src/registry/index.js';
import { linearRegressionOnnx } from './onnx-builder.js';
import { ENGINES, failure, person, ctxOf, PROJECT, registryApp, system, type RegistryApp } from './registry-app.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const editor = ctxOf(person('editor'));

describe.each(ENGINES)('registered models and versions, metadata on $name', (engine) => {
  let r: RegistryApp;
  let models: ModelRegistry;
  beforeAll(async () => {
    r = await registryApp(engine);
    models = r.t.services.models;
  });
  afterAll(async () => {
    await r?.dispose();
  });

  it('creates a model once; the same name again is a conflict, a bad name a 400', async () => {
    const created = await models.createModel(editor, PROJECT, { name: 'churn', description: 'who leaves', tags: { team: 'retention' } });
    expect(created).toMatchObject({ name: 'churn', description: 'who leaves', tags: { team: 'retention' }, classification: 'internal', aliases: [], latestVersion: null, createdBy: 'user-editor' });
    expect((await failure(models.createModel(editor, PROJECT, { name: 'churn' }))).code).toBe('FALAJ_MODEL_EXISTS');
    for (const bad of ['', 'a/b', '-', ' padded', 'x'.repeat(257)]) expect((await failure(models.createModel(editor, PROJECT, { name: bad }))).code, bad).toBe('FALAJ_VALIDATION_FAILED');
    expect((await failure(models.createModel(editor, 'nope', { name: 'x' }))).code).toBe('FALAJ_PROJECT_NOT_FOUND');
    expect((await r.audit('model.create')).map((e) => [e.resource, e.actor])).toEqual([['model/churn', 'user-editor']]);
  });

  it('numbers versions 1, 2, 3 and never gives a deleted number again', async () => {
    await models.createModel(editor, PROJECT, { name: 'numbers' });
    const numbers = [];
    for (let i = 0; i < 3; i++) numbers.push((await models.createVersion(editor, PROJECT, 'numbers', { source: `s3://models/numbers/${i}` })).version);
    expect(numbers).toEqual([1, 2, 3]);
    await models.deleteVersion(editor, PROJECT, 'numbers', 3);
    expect((await models.createVersion(editor, PROJECT, 'numbers', { source: 's3://models/numbers/again' })).version).toBe(4);
    expect((await models.getModel(PROJECT, 'numbers')).latestVersion).toBe(4);
    expect((await failure(models.getVersion(PROJECT, 'numbers', 3))).code).toBe('FALAJ_MODEL_VERSION_NOT_FOUND');
    expect((await failure(models.createVersion(editor, PROJECT, 'no-such-model', { source: 's3://x' }))).code).toBe('FALAJ_MODEL_NOT_FOUND');
  });

  it('twenty concurrent registrations get 1..20: no duplicate, no gap', async () => {
    await models.createModel(editor, PROJECT, { name: 'busy' });
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => models.createVersion(editor, PROJECT, 'busy', { source: `s3://models/busy/${i}` })));
    expect(created.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // each number went to exactly one source
    expect(new Set(created.map((v) => v.source)).size).toBe(20);
    const all = await models.searchVersions(PROJECT, { model: 'busy', maxResults: 100 });
    expect(all.items.map((v) => v.version)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    expect((await r.audit('model.version.create')).filter((e) => e.resource.startsWith('model/busy/')).length).toBe(20);
  });

  it('registers runs:/RUN/model: files named inside the model, signed, ONNX signature read, lineage filled from the run', async () => {
    const onnx = linearRegressionOnnx();
    const runId = await r.logRun({ 'model/model.onnx': onnx, 'model/conf/preprocess.json': '{"scale": 2}', 'notes.txt': 'not part of the model' }, { sourceVersion: '9f8e7d6' });
    await models.createModel(editor, PROJECT, { name: 'fares' });
    const v = await models.createVersion(editor, PROJECT, 'fares', { source: `runs:/${runId}/model`, description: 'first', tags: { stage: 'dev' } });
    expect(v).toMatchObject({
      version: 1,
      status: 'READY',
      statusMessage: null,
      runId,
      artifactPath: 'model',
      description: 'first',
      tags: { stage: 'dev' },
      classification: 'internal',
      signatureKeyId: r.t.services.signingKey.keyId,
      lineage: { runId, datasets: [], featureService: null, codeVersion: '9f8e7d6' },
    });
    expect(v.files).toEqual([
      { name: 'conf/preprocess.json', sha256: sha256('{"scale": 2}'), bytes: 12 },
      { name: 'model.onnx', sha256: sha256(onnx), bytes: onnx.length },
    ]);
    expect(v.onnxSignature).toMatchObject({ inputs: [{ name: 'X', elemType: 'float32', shape: ['N', 3] }], outputs: [{ name: 'Y', elemType: 'float32', shape: ['N', 1] }] });
    // the envelope is the OpenSSF model-signing shape: an in-toto statement over exactly those files
    const statement = JSON.parse(Buffer.from(v.signature!.payload, 'base64').toString('utf8'));
    expect(statement.subject).toEqual(v.files.map((f) => ({ name: f.name, digest: { sha256: f.sha256 } })));
    expect(statement.predicate.name).toBe('models:/fares/1');
    expect(await models.getVersion(PROJECT, 'fares', 1)).toEqual({ ...v, aliases: [] });
    const [event] = (await r.audit('model.version.create')).filter((e) => e.resource === 'model/fares/versions/1');
    expect(event).toMatchObject({ actor: 'user-editor', outcome: 'success', details: { files: 2, onnx: true, keyId: r.t.services.signingKey.keyId, status: 'READY' } });
  });

  it('accepts a single file as the model, and runId + artifactPath instead of a runs:/ URI', async () => {
    const runId = await r.logRun({ 'model.onnx': linearRegressionOnnx() });
    await models.createModel(editor, PROJECT, { name: 'single' });
    const one = await models.createVersion(editor, PROJECT, 'single', { source: `runs:/${runId}/model.onnx` });
    expect(one.files.map((f) => f.name)).toEqual(['model.onnx']);
    const two = await models.createVersion(editor, PROJECT, 'single', { source: 'mlflow-artifacts:/0/x/artifacts', runId, artifactPath: 'model.onnx' });
    expect(two).toMatchObject({ runId, artifactPath: 'model.onnx', files: one.files, status: 'READY' });
    expect((await failure(models.createVersion(editor, PROJECT, 'single', { source: `runs:/${runId}/model.onnx`, runId: 'f'.repeat(32) }))).code).toBe('FALAJ_VALIDATION_FAILED');
  });

  it('an ONNX file that does not decode leaves the version FAILED_REGISTRATION with the reason', async () => {
    const runId = await r.logRun({ 'model/model.onnx': 'this is not protobuf at all' });
    await models.createModel(editor, PROJECT, { name: 'broken' });
    const v = await models.createVersion(editor, PROJECT, 'broken', { source: `runs:/${runId}/model` });
    expect(v.status).toBe('FAILED_REGISTRATION');
    expect(v.statusMessage).toMatch(/^model\.onnx: not a valid ONNX model/);
    expect(v.onnxSignature).toBeNull();
    expect(v.signature).not.toBeNull(); // the files are still what they are, and signed as such
  });

  it('refuses a run with nothing under the path, or no such run, without using a number', async () => {
    const runId = await r.logRun({ 'elsewhere/model.onnx': linearRegressionOnnx() });
    await models.createModel(editor, PROJECT, { name: 'empty' });
    const err = await failure(models.createVersion(editor, PROJECT, 'empty', { source: `runs:/${runId}/model` }));
    expect(err.code).toBe('FALAJ_ARTIFACT_NOT_FOUND');
    expect(err.message).toMatch(/has no artifacts under "model"/);
    expect((await failure(models.createVersion(editor, PROJECT, 'empty', { source: `runs:/${'0'.repeat(32)}/model` }))).code).toBe('FALAJ_RUN_NOT_FOUND');
    expect((await models.createVersion(editor, PROJECT, 'empty', { source: `runs:/${runId}/elsewhere` })).version).toBe(1);
  });

  it('records an external source unsigned, and says so when asked to verify it', async () => {
    await models.createModel(editor, PROJECT, { name: 'external' });
    const v = await models.createVersion(editor, PROJECT, 'external', { source: 's3://bucket/external/model' });
    expect(v).toMatchObject({ runId: null, files: [], signature: null, onnxSignature: null, status: 'READY' });
    expect((await failure(models.verifyVersion(editor, PROJECT, 'external', 1))).code).toBe('FALAJ_MODEL_UNSIGNED');
  });

  it('searches models by case-insensitive name pattern and tags, in pages', async () => {
    for (const name of ['Search-A', 'search-b', 'search-c', 'other']) {
      await models.createModel(editor, PROJECT, { name, tags: { team: name === 'search-c' ? 'risk' : 'growth' } });
      await new Promise((resolve) => setTimeout(resolve, 3)); // distinct creation times for the ordering below
    }
    const names = async (q: Parameters<ModelRegistry['searchModels']>[1]) => (await models.searchModels(PROJECT, q)).items.map((m) => m.name);
    expect(await names({ nameLike: 'search-%' })).toEqual(['Search-A', 'search-b', 'search-c']);
    expect(await names({ nameLike: 'SEARCH-_' })).toEqual(['Search-A', 'search-b', 'search-c']);
    expect(await names({ nameLike: 'search%', tags: { team: 'risk' } })).toEqual(['search-c']);
    expect(await names({ tags: { team: 'growth' }, nameLike: '%-a' })).toEqual(['Search-A']);
    const first = await models.searchModels(PROJECT, { nameLike: 'search-%', maxResults: 2 });
    expect(first.items.map((m) => m.name)).toEqual(['Search-A', 'search-b']);
    const second = await models.searchModels(PROJECT, { nameLike: 'search-%', maxResults: 2, pageToken: first.nextPageToken! });
    expect(second).toEqual({ items: [expect.objectContaining({ name: 'search-c' })], nextPageToken: null });
    expect((await failure(models.searchModels(PROJECT, { pageToken: 'garbage' }))).code).toBe('FALAJ_VALIDATION_FAILED');
    const newest = await names({ nameLike: 'search-%', orderBy: 'createdAt', descending: true });
    expect(newest).toEqual(['search-c', 'search-b', 'Search-A']);
  });

  it('tags, descriptions and searches of versions; rename carries versions and aliases along', async () => {
    const runId = await r.logRun({ 'model/model.onnx': linearRegressionOnnx() });
    await models.createModel(editor, PROJECT, { name: 'old-name' });
    await models.createVersion(editor, PROJECT, 'old-name', { source: `runs:/${runId}/model` });
    await models.createVersion(editor, PROJECT, 'old-name', { source: 's3://x/2', tags: { candidate: 'yes' } });
    await models.setVersionTag(editor, PROJECT, 'old-name', 1, 'validated', 'true');
    await models.updateVersion(editor, PROJECT, 'old-name', 1, { description: 'baseline' });
    await models.setModelTag(editor, PROJECT, 'old-name', 'owner', 'ml-team');
    await models.deleteModelTag(editor, PROJECT, 'old-name', 'owner');
    expect((await failure(models.deleteModelTag(editor, PROJECT, 'old-name', 'owner'))).code).toBe('FALAJ_TAG_NOT_FOUND');
    await r.t.services.modelAliases.setAlias(system, PROJECT, 'old-name', 'challenger', 1);

    const renamed = await models.renameModel(editor, PROJECT, 'old-name', 'new-name');
    expect(renamed).toMatchObject({ name: 'new-name', latestVersion: 2, aliases: [{ alias: 'challenger', version: 1 }], tags: {} });
    expect((await failure(models.getModel(PROJECT, 'old-name'))).code).toBe('FALAJ_MODEL_NOT_FOUND');
    expect(await models.getVersion(PROJECT, 'new-name', 1)).toMatchObject({ model: 'new-name', description: 'baseline', tags: { validated: 'true' }, aliases: ['challenger'] });
    expect((await models.searchVersions(PROJECT, { runId })).items.map((v) => [v.model, v.version])).toEqual([['new-name', 1]]);
    expect((await models.searchVersions(PROJECT, { modelLike: 'NEW-%', tags: { candidate: 'yes' } })).items.map((v) => v.version)).toEqual([2]);
    expect((await models.getLatestVersions(PROJECT, 'new-name')).map((v) => v.version)).toEqual([2]);
    expect((await failure(models.renameModel(editor, PROJECT, 'new-name', 'churn'))).code).toBe('FALAJ_MODEL_EXISTS');
    expect((await r.audit('model.rename')).at(-1)?.details).toEqual({ from: 'old-name', to: 'new-name' });
  });

  it('deletes a model with its versions, but not while a protected alias points into it', async () => {
    await models.createModel(editor, PROJECT, { name: 'doomed' });
    await models.createVersion(editor, PROJECT, 'doomed', { source: 's3://x/1' });
    await r.t.services.modelAliases.setAlias(system, PROJECT, 'doomed', 'champion', 1);
    expect((await failure(models.deleteModel(editor, PROJECT, 'doomed'))).code).toBe('FALAJ_MODEL_VERSION_IN_USE');
    expect((await failure(models.deleteVersion(editor, PROJECT, 'doomed', 1))).code).toBe('FALAJ_MODEL_VERSION_IN_USE');
    await r.t.services.modelAliases.deleteAlias(system, PROJECT, 'doomed', 'champion');
    await models.deleteModel(editor, PROJECT, 'doomed');
    expect((await failure(models.getModel(PROJECT, 'doomed'))).code).toBe('FALAJ_MODEL_NOT_FOUND');
    expect((await models.searchVersions(PROJECT, { model: 'doomed' })).items).toEqual([]);
    // the name is free again, and numbering starts over for the new model
    await models.createModel(editor, PROJECT, { name: 'doomed' });
    expect((await models.createVersion(editor, PROJECT, 'doomed', { source: 's3://x/new' })).version).toBe(1);
  });
});
