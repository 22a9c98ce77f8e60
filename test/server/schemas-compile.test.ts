import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAllSchemas } from '../../src/server/validation.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Validators and serializers compile on first use (a fast cold start), so a broken
 * schema would only show on its route's first request. Here every one is compiled.
 */
describe('route schemas', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('all compile', () => {
    const compiled = compileAllSchemas();
    expect(compiled).toBeGreaterThan(100); // every route's body/query/params validators and response serializers
    expect(compileAllSchemas()).toBe(0); // each compiles once
  });

  it('still validate and serialize as before', async () => {
    const bad = await app.app.inject({ method: 'POST', url: '/api/v1/projects', headers: app.auth(), payload: { name: 12 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('FALAJ_VALIDATION_FAILED');
    const listed = await app.app.inject({ method: 'GET', url: '/api/v1/projects?limit=5', headers: app.auth() });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().projects.map((p: { name: string }) => p.name)).toContain('default');
  });
});
