import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

// docs/mlflow-compatibility.md tells users which MLflow endpoints Falaj serves; it must say what the routes do.
const doc = readFileSync(new URL('../../docs/mlflow-compatibility.md', import.meta.url), 'utf8');
const rows = doc
  .split('\n')
  .map((line) => /^\| `(GET|POST|PUT|PATCH|DELETE) (\/api\/2\.0\/[^`]+)` \| (✓|✗) \|(.*)\|/.exec(line))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => ({ method: m[1]!, path: m[2]!, supported: m[3] === '✓', permission: m[4]!.split('|')[0]!.trim() }));

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.dispose();
});

describe('docs/mlflow-compatibility.md covered-surface table', () => {
  it('lists exactly the MLflow routes the server has', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/api/2.0/mlflow'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const documented = rows.filter((r) => r.supported).map((r) => `${r.method} ${r.path}`).sort();
    expect(documented).toEqual(served);
  });

  it('names a permission for every supported endpoint', () => {
    for (const row of rows.filter((r) => r.supported)) expect(row.permission, `${row.method} ${row.path}`).toMatch(/`[a-z]+:[a-z]+`|as setting it/);
  });

  it('endpoints marked unsupported answer ENDPOINT_NOT_FOUND', async () => {
    const unsupported = rows.filter((r) => !r.supported);
    expect(unsupported.length).toBeGreaterThan(0);
    for (const row of unsupported) {
      const res = await t.app.inject({ method: row.method as 'GET', url: row.path.replace('{*}', '0/x/artifacts/f'), headers: { ...t.auth(), 'content-type': 'application/json' }, payload: row.method === 'GET' ? undefined : '{}' });
      expect(res.statusCode, `${row.method} ${row.path}`).toBe(404);
      expect(res.json().error_code, `${row.method} ${row.path}`).toBe('ENDPOINT_NOT_FOUND');
    }
  });
});
