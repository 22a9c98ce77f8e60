import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPredictions } from '../../src/serving/prediction-log/index.js';
import { driverFeatures, FEATURES, PROJECT, servingApp, type ServingApp } from './serving-app.js';

describe('the prediction API: entity keys in, features looked up, predictions out', () => {
  let s: ServingApp;
  let v1: { version: number; bytes: Uint8Array };
  beforeAll(async () => {
    s = await servingApp();
    v1 = await s.register('churn', { seed: 3 });
    await s.deploy({ name: 'churn-api', model: 'churn', routes: [{ name: 'main', version: v1.version }] });
  });
  afterAll(async () => s?.dispose());

  it('looks the feature service up in the online store and answers what ONNX Runtime answers in-process', async () => {
    const res = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/churn-api/predict`, { entities: [{ driver_id: 3 }, { driver_id: 17 }] });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ deployment: 'churn-api', variant: 'main', model: 'churn', modelVersion: v1.version });
    expect(body.predictionId).toMatch(/^[0-9a-f-]{36}$/);
    const expected = await s.expected(v1.bytes, [driverFeatures(3), driverFeatures(17)]);
    expect(body.predictions.map((p: { probability: number }) => p.probability)).toEqual(expected);
  });

  it('takes request-time features over stored ones, and treats an unknown entity as missing values', async () => {
    const given = { f0: 1, f1: 2, f2: 3, f3: 4 };
    const res = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/churn-api/predict`, { entities: { driver_id: 5 }, features: given });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().predictions[0].probability).toBe((await s.expected(v1.bytes, [given]))[0]);
    const unknown = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/churn-api/predict`, { entities: { driver_id: 999 } });
    expect(unknown.statusCode, unknown.body).toBe(200);
    // every feature null: the graph imputes the training means
    expect(unknown.json().predictions[0].probability).toBe((await s.expected(v1.bytes, [{}]))[0]);
  });

  it('refuses bad requests with problem details and stable codes', async () => {
    const missing = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/nope/predict`, { entities: { driver_id: 1 } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'FALAJ_DEPLOYMENT_NOT_FOUND' });
    const schema = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/churn-api/predict`, { entity: { driver_id: 1 } });
    expect(schema.statusCode).toBe(400);
    expect(schema.json().code).toBe('FALAJ_VALIDATION_FAILED');
    const ragged = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/churn-api/predict`, { entities: [{ driver_id: 1 }, { driver_id: 2 }], features: [{ f0: 1 }] });
    expect(ragged.statusCode).toBe(400);
    expect(ragged.json().code).toBe('FALAJ_PREDICTION_INPUT_INVALID');
    const text = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/churn-api/predict`, { entities: { driver_id: 1 }, features: { f0: 'fast' } });
    expect(text.statusCode).toBe(400);
    expect(text.json().detail).toContain('feature f0 is "fast", not a number');
  });

  it('needs a token that can read deployments', async () => {
    const res = await s.t.app.inject({ method: 'POST', url: `/api/v1/projects/${PROJECT}/deployments/churn-api/predict`, payload: { entities: { driver_id: 1 } } });
    expect(res.statusCode).toBe(401);
  });

  it('logs every prediction to Parquet with its features, output, version and variant', async () => {
    const res = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/churn-api/predict`, { entities: { driver_id: 42 } });
    const id = res.json().predictionId as string;
    const runtime = s.t.services.serving.runtime!;
    await runtime.log!.flush();
    const rows = await readPredictions(s.t.services.offline, runtime.logDir, { project: PROJECT, deployment: 'churn-api', limit: 100 });
    const row = rows.find((r) => r.predictionId === id)!;
    expect(row).toMatchObject({ variant: 'main', model: 'churn', modelVersion: v1.version, status: 'ok', shadow: false, protocol: 'predict' });
    expect(row.entities).toEqual({ driver_id: 42 });
    expect(Object.keys(row.features as object)).toEqual(FEATURES);
    expect((row.outputs as { probability: number }).probability).toBeCloseTo(res.json().predictions[0].probability, 6);
    const http = await s.inject('GET', `/api/v1/projects/${PROJECT}/deployments/churn-api/predictions?limit=5`);
    expect(http.statusCode, http.body).toBe(200);
    expect(http.json().predictions.length).toBeGreaterThan(0);
  });

  it('counts predictions in Prometheus by deployment, version, variant and status', async () => {
    const res = await s.inject('GET', '/metrics');
    expect(res.body).toMatch(new RegExp(`falaj_predictions_total\\{deployment="churn-api",model="churn",version="${v1.version}",variant="main",status="ok"\\} \\d+`));
    expect(res.body).toContain('falaj_prediction_duration_seconds_bucket');
    expect(res.body).toContain('falaj_inference_batch_rows_bucket');
    expect(res.body).toMatch(/falaj_model_memory_bytes\{project="default",model="churn",version="\d+",kind="file"\} \d+/);
    expect(res.body).toContain('falaj_prediction_log_buffered_records');
  });
});
