import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, PROJECT, registryApp, type RegistryApp } from './registry-app.js';

const MODELS = `/api/v1/projects/${PROJECT}/models`;

describe.each(ENGINES)('model registry over HTTP, metadata on $name', (engine) => {
  let r: RegistryApp;
  beforeAll(async () => {
    r = await registryApp(engine);
  });
  afterAll(async () => {
    await r?.dispose();
  });

  it('creates, lists with filters and pages, renames, tags and deletes models', async () => {
    for (const name of ['http-a', 'http-b', 'http-c']) {
      const res = await r.inject('POST', MODELS, { name, tags: { tier: name === 'http-b' ? 'gold' : 'silver' } });
      expect(res.statusCode, res.body).toBe(201);
    }
    expect((await r.inject('POST', MODELS, { name: 'http-a' })).statusCode).toBe(409);
    const page1 = (await r.inject('GET', `${MODELS}?nameLike=http-%25&maxResults=2`)).json();
    expect(page1.models.map((m: { name: string }) => m.name)).toEqual(['http-a', 'http-b']);
    const page2 = (await r.inject('GET', `${MODELS}?nameLike=http-%25&maxResults=2&pageToken=${page1.nextPageToken}`)).json();
    expect(page2).toMatchObject({ models: [{ name: 'http-c' }], nextPageToken: null });
    expect((await r.inject('GET', `${MODELS}?tag=tier=gold`)).json().models.map((m: { name: string }) => m.name)).toEqual(['http-b']);
    expect((await r.inject('GET', `${MODELS}?tag=tier=silver&tag=tier=gold`)).statusCode).toBe(400);

    // tag keys may hold "/" and ":" (MLflow-style keys), encoded in the path
    const tagged = await r.inject('PUT', `${MODELS}/http-a/tags/${encodeURIComponent('mlflow.owner/team:x')}`, { value: 'ml' });
    expect(tagged.statusCode, tagged.body).toBe(200);
    expect(tagged.json().tags).toEqual({ tier: 'silver', 'mlflow.owner/team:x': 'ml' });
    expect((await r.inject('DELETE', `${MODELS}/http-a/tags/${encodeURIComponent('mlflow.owner/team:x')}`)).json().tags).toEqual({ tier: 'silver' });

    expect((await r.inject('PATCH', `${MODELS}/http-a`, { description: 'now described' })).json().description).toBe('now described');
    const renamed = await r.inject('POST', `${MODELS}/http-a/rename`, { name: 'http-z' });
    expect(renamed.json()).toMatchObject({ name: 'http-z', description: 'now described' });
    expect((await r.inject('GET', `${MODELS}/http-a`)).json().code).toBe('FALAJ_MODEL_NOT_FOUND');
    expect((await r.inject('DELETE', `${MODELS}/http-z`)).statusCode).toBe(204);
    expect((await r.inject('GET', `${MODELS}/http-z`)).statusCode).toBe(404);
  });

  it('registers, lists, describes and deletes versions', async () => {
    await r.inject('POST', MODELS, { name: 'http-v' });
    const created = await r.inject('POST', `${MODELS}/http-v/versions`, { source: 's3://bucket/v1', description: 'one', tags: { k: 'v' }, lineage: { codeVersion: 'abc' } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ version: 1, lineage: { runId: null, datasets: [], featureService: null, codeVersion: 'abc' }, signature: null });
    await r.inject('POST', `${MODELS}/http-v/versions`, { source: 's3://bucket/v2' });
    expect((await r.inject('GET', `${MODELS}/http-v/versions`)).json().versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await r.inject('GET', `${MODELS}/-/versions?modelLike=HTTP-V&tag=k=v`)).json().versions.map((v: { version: number }) => v.version)).toEqual([1]);
    expect((await r.inject('PUT', `${MODELS}/http-v/versions/1/tags/stage`, { value: 'qa' })).json().tags).toEqual({ k: 'v', stage: 'qa' });
    expect((await r.inject('PATCH', `${MODELS}/http-v/versions/2`, { description: 'two' })).json().description).toBe('two');
    expect((await r.inject('DELETE', `${MODELS}/http-v/versions/2`)).statusCode).toBe(204);
    expect((await r.inject('GET', `${MODELS}/http-v/versions/2`)).json().code).toBe('FALAJ_MODEL_VERSION_NOT_FOUND');
    expect((await r.inject('GET', `${MODELS}/missing/versions`)).json().code).toBe('FALAJ_MODEL_NOT_FOUND');
  });

  it('validates input at the edge and checks permissions per route', async () => {
    const bad = [
      await r.inject('POST', MODELS, { name: 'x', extra: true }),
      await r.inject('POST', `${MODELS}/http-v/versions`, { source: 's3://x', classification: 'secret' }),
      await r.inject('POST', `${MODELS}/http-v/versions`, { source: 's3://x', lineage: { datasets: [{ id: 'ds', sha256: 'short' }] } }),
      await r.inject('GET', `${MODELS}/http-v/versions/0`),
      await r.inject('PUT', `${MODELS}/http-v/aliases/champion`, { version: 'one' }),
    ];
    for (const res of bad) expect(res.statusCode, res.body).toBe(400);
    const viewer = await r.token('viewer');
    expect((await r.inject('POST', MODELS, { name: 'by-viewer' }, viewer)).statusCode).toBe(403);
    expect((await r.inject('GET', MODELS, undefined, viewer)).statusCode).toBe(200);
    expect((await r.t.app.inject({ method: 'GET', url: MODELS })).statusCode).toBe(401);
    expect((await r.inject('GET', '/api/v1/projects/elsewhere/models')).statusCode).toBe(200); // admin sees an empty project…
    expect((await r.inject('POST', '/api/v1/projects/elsewhere/models', { name: 'x' })).json().code).toBe('FALAJ_PROJECT_NOT_FOUND'); // …but cannot register into none
    expect((await r.inject('POST', MODELS, { name: '-' })).json().code).toBe('FALAJ_VALIDATION_FAILED'); // "-" is the routes' own segment
  });

  it('documents every registry route in the OpenAPI document', async () => {
    const doc = (await r.inject('GET', '/openapi.json')).json();
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/projects/{project}/models'));
    expect(paths).toEqual(expect.arrayContaining([
      '/api/v1/projects/{project}/models',
      '/api/v1/projects/{project}/models/{model}/versions/{version}/verify',
      '/api/v1/projects/{project}/models/{model}/aliases/{alias}',
      '/api/v1/projects/{project}/models/-/approvals/{id}/approve',
      '/api/v1/projects/{project}/models/-/settings',
    ]));
  });
});
