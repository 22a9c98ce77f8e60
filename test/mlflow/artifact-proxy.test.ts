import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** The proxied artifact service beyond the documented pairs: size, content types, safety. */
const BODY_LIMIT = 2048;
let t: TestApp;
let base = '';
beforeAll(async () => {
  t = await createTestApp({ name: 'sqlite' }, { 'server.bodyLimitBytes': BODY_LIMIT });
  const { run } = (await t.app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/create', headers: { ...t.auth(), 'content-type': 'application/json' }, payload: '{"experiment_id":"0"}' })).json();
  base = `/api/2.0/mlflow-artifacts/artifacts/0/${run.info.run_id}/artifacts`;
});
afterAll(async () => {
  await t.dispose();
});

const put = (path: string, payload: Buffer | string, headers: Record<string, string> = { 'content-type': 'application/octet-stream' }) =>
  t.app.inject({ method: 'PUT', url: `${base}/${path}`, headers: { ...t.auth(), ...headers }, payload });
const get = (path: string) => t.app.inject({ method: 'GET', url: `${base}/${path}`, headers: t.auth() });

describe('the MLflow artifact proxy', () => {
  it('streams uploads larger than the JSON body limit (models are large) and gives them back byte for byte', async () => {
    const weights = Buffer.alloc(50 * BODY_LIMIT, 7);
    expect((await put('model/weights.bin', weights)).statusCode).toBe(200);
    const res = await get('model/weights.bin');
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(weights)).toBe(true);
    expect(res.headers['content-length']).toBe(String(weights.length));
    expect(res.headers['x-falaj-artifact-sha256']).toBe(createHash('sha256').update(weights).digest('hex'));
  });

  it('takes a body without a content type, and JSON bodies as bytes (a broken JSON file is still a file)', async () => {
    expect((await put('raw.bin', Buffer.from([1, 2, 3]), {})).statusCode).toBe(200);
    expect((await put('notes.json', '{"unterminated": ', { 'content-type': 'application/json' })).statusCode).toBe(200);
    expect((await get('notes.json')).body).toBe('{"unterminated": ');
  });

  it('serves HTML and SVG as opaque attachments, never rendered from the API origin', async () => {
    await put('report.html', '<script>alert(1)</script>', { 'content-type': 'text/html' });
    const res = await get('report.html');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename\*=UTF-8''report\.html$/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('notes.json')).headers['content-type']).toMatch(/^application\/json/);
  });

  it('refuses paths that escape the run or are not normal (dot segments sent encoded, as URL parsers would fold them)', async () => {
    for (const path of ['model/%2E%2E/%2E%2E/%2E%2E/x', 'a//b.txt', 'model%2F..%2F..%2Fx', 'model%2F.%2Fx']) {
      const res = await put(path, 'x');
      expect(res.statusCode, path).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, path).toBeLessThan(500);
    }
  });
});
