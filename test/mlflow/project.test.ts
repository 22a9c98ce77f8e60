import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_HEADER } from '../../src/mlflow/index.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../src/security/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Which Falaj project an MLflow request works in: the x-falaj-project header; else the
 * token's one project; else `default`. Projects are tenants: what one holds, another
 * cannot see through the MLflow API.
 */
let t: TestApp;
const system = { principal: SYSTEM_PRINCIPAL };
beforeAll(async () => {
  t = await createTestApp();
  await t.services.projects.create(system, { name: 'fraud' });
  await t.services.projects.create(system, { name: 'churn' });
});
afterAll(async () => {
  await t.dispose();
});

const tokenFor = async (role: Role, project: string) => (await t.services.tokens.create(system, { project, role })).token;
const createExperiment = (name: string, headers: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: '/api/2.0/mlflow/experiments/create', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify({ name }) });
const byName = (name: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url: `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${name}`, headers });
const projectOf = async (name: string) =>
  (await t.services.database.db.selectFrom('experiments').select('project').where('name', '=', name).executeTakeFirstOrThrow()).project;

describe('the project of an MLflow request', () => {
  it("without the header, a project-bound token works in its token's project", async () => {
    const editor = await tokenFor('editor', 'fraud');
    expect((await createExperiment('from-fraud-token', t.auth(editor))).statusCode).toBe(200);
    expect(await projectOf('from-fraud-token')).toBe('fraud');
    expect((await byName('from-fraud-token', t.auth(editor))).statusCode).toBe(200);
  });

  it('without the header, a global token (the admin) works in default', async () => {
    expect((await createExperiment('from-admin', t.auth())).statusCode).toBe(200);
    expect(await projectOf('from-admin')).toBe('default');
  });

  it('the header picks the project', async () => {
    const res = await createExperiment('from-header', { ...t.auth(), [PROJECT_HEADER]: 'churn' });
    expect(res.statusCode, res.body).toBe(200);
    expect(await projectOf('from-header')).toBe('churn');
    // and it is invisible from another project
    const elsewhere = await byName('from-header', { ...t.auth(), [PROJECT_HEADER]: 'fraud' });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it("the header cannot take a token outside its binding: PERMISSION_DENIED", async () => {
    const editor = await tokenFor('editor', 'fraud');
    const res = await createExperiment('sneaky', { ...t.auth(editor), [PROJECT_HEADER]: 'churn' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error_code: 'PERMISSION_DENIED', message: expect.stringContaining('churn') });
  });

  it('experiment ids are per project: the same id in two projects names two experiments', async () => {
    const a = (await createExperiment('same-id-a', { ...t.auth(), [PROJECT_HEADER]: 'fraud' })).json().experiment_id;
    const b = (await createExperiment('same-id-b', { ...t.auth(), [PROJECT_HEADER]: 'churn' })).json().experiment_id;
    const get = (id: string, project: string) => t.app.inject({ method: 'GET', url: `/api/2.0/mlflow/experiments/get?experiment_id=${id}`, headers: { ...t.auth(), [PROJECT_HEADER]: project } });
    expect((await get(a, 'fraud')).json().experiment.name).toBe('same-id-a');
    expect((await get(b, 'churn')).json().experiment.name).toBe('same-id-b');
  });

  it('a run of one project cannot be read or written through another', async () => {
    const { run } = (await t.app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/create', headers: { ...t.auth(), [PROJECT_HEADER]: 'fraud', 'content-type': 'application/json' }, payload: '{"experiment_id":"0"}' })).json();
    const fromChurn = { ...t.auth(), [PROJECT_HEADER]: 'churn' };
    expect((await t.app.inject({ method: 'GET', url: `/api/2.0/mlflow/runs/get?run_id=${run.info.run_id}`, headers: fromChurn })).statusCode).toBe(404);
    const put = await t.app.inject({ method: 'PUT', url: `/api/2.0/mlflow-artifacts/artifacts/0/${run.info.run_id}/artifacts/x.txt`, headers: { ...fromChurn, 'content-type': 'text/plain' }, payload: 'x' });
    expect(put.statusCode).toBe(404);
  });

  it('a malformed header is INVALID_PARAMETER_VALUE; an unknown project is RESOURCE_DOES_NOT_EXIST', async () => {
    const bad = await createExperiment('x', { ...t.auth(), [PROJECT_HEADER]: '../etc' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error_code).toBe('INVALID_PARAMETER_VALUE');
    const unknown = await createExperiment('x', { ...t.auth(), [PROJECT_HEADER]: 'ghost' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('each project has its own Default experiment 0', async () => {
    const get = (project: string) => t.app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get?experiment_id=0', headers: { ...t.auth(), [PROJECT_HEADER]: project } });
    const [fraud, churn] = [(await get('fraud')).json().experiment, (await get('churn')).json().experiment];
    expect(fraud).toMatchObject({ experiment_id: '0', name: 'Default' });
    expect(churn).toMatchObject({ experiment_id: '0', name: 'Default' });
    const rows = await t.services.database.db.selectFrom('experiments').select('project').where('name', '=', 'Default').execute();
    expect(rows.map((r) => r.project).sort()).toEqual(expect.arrayContaining(['churn', 'fraud']));
  });
});
