import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverFeatures, FEATURES, PROJECT, servingApp, type ServingApp } from './serving-app.js';

const row = (id: number) => FEATURES.map((f) => driverFeatures(id)[f]!);

describe('the Open Inference Protocol on deployments', () => {
  let s: ServingApp;
  let v1: { version: number; bytes: Uint8Array };
  let v2: { version: number; bytes: Uint8Array };
  beforeAll(async () => {
    s = await servingApp();
    v1 = await s.register('risk', { seed: 4 });
    v2 = await s.register('risk', { seed: 5, hidden: true });
    await s.deploy({ name: 'risk', model: 'risk', mode: 'ab', sticky: { header: 'x-user' }, routes: [{ name: 'a', version: v1.version, weight: 100 }, { name: 'b', version: v2.version, weight: 0 }] });
  });
  afterAll(async () => s?.dispose());

  it('answers health, server metadata and model metadata', async () => {
    const live = await s.t.app.inject({ method: 'GET', url: '/v2/health/live' });
    expect(live.statusCode).toBe(200);
    const ready = await s.t.app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect(ready.json()).toEqual({ ready: true });
    expect((await s.inject('GET', '/v2')).json()).toEqual({ name: 'falaj', version: '0.1.0', extensions: ['binary_tensor_data'] });
    const meta = (await s.inject('GET', '/v2/models/risk')).json();
    expect(meta).toEqual({
      name: 'risk',
      versions: [String(v1.version), String(v2.version)],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1, 1] }],
    });
    expect((await s.inject('GET', `/v2/models/risk/versions/${v2.version}/ready`)).statusCode).toBe(200);
    expect((await s.inject('GET', '/v2/models/risk/versions/9/ready')).statusCode).toBe(400);
  });

  it('infers on the split\'s variant, or on a version named in the URL, as in-process ONNX Runtime does', async () => {
    const body = { id: 'req-1', inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: [row(1), row(2)] }] };
    const res = await s.inject('POST', '/v2/models/risk/infer', body);
    expect(res.statusCode, res.body).toBe(200);
    const expected = await s.expected(v1.bytes, [driverFeatures(1), driverFeatures(2)]);
    expect(res.json()).toEqual({ model_name: 'risk', model_version: String(v1.version), id: 'req-1', outputs: [{ name: 'probability', datatype: 'FP32', shape: [2, 1], data: expected }] });
    const pinned = await s.inject('POST', `/v2/models/risk/versions/${v2.version}/infer`, { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: row(3) }] });
    expect(pinned.json().model_version).toBe(String(v2.version));
    expect(pinned.json().outputs[0].data).toEqual(await s.expected(v2.bytes, [driverFeatures(3)]));
  });

  it('speaks Triton\'s binary tensor data extension both ways', async () => {
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }], outputs: [{ name: 'probability', parameters: { binary_data: true } }] }));
    const tensor = Buffer.from(Float32Array.from(row(7)).buffer);
    const res = await s.t.app.inject({
      method: 'POST', url: '/v2/models/risk/infer',
      headers: { ...s.t.auth(), 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
      payload: Buffer.concat([header, tensor]),
    });
    expect(res.statusCode, res.body).toBe(200);
    const length = Number(res.headers['inference-header-content-length']);
    const json = JSON.parse(res.rawPayload.subarray(0, length).toString());
    expect(json.outputs[0]).toMatchObject({ name: 'probability', datatype: 'FP32', shape: [1, 1], parameters: { binary_data_size: 4 } });
    const value = new Float32Array(res.rawPayload.buffer.slice(res.rawPayload.byteOffset + length, res.rawPayload.byteOffset + length + 4))[0];
    expect(value).toBe((await s.expected(v1.bytes, [driverFeatures(7)]))[0]);
  });

  it('answers the protocol\'s error body, with our stable code beside it', async () => {
    const wrong = await s.inject('POST', '/v2/models/risk/infer', { inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.headers['content-type']).toContain('application/json');
    expect(wrong.json()).toMatchObject({ code: 'FALAJ_INFERENCE_INPUT_INVALID' });
    expect(wrong.json().error).toContain('features');
    const missing = await s.inject('POST', '/v2/models/nope/infer', { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: row(1) }] });
    expect(missing.statusCode).toBe(404);
    expect(Object.keys(missing.json())).toEqual(['error', 'code']);
    const anonymous = await s.t.app.inject({ method: 'POST', url: '/v2/models/risk/infer', payload: { inputs: [] } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('FALAJ_UNAUTHENTICATED');
    const otherProject = await s.inject('GET', '/v2/models/risk', undefined, { 'x-falaj-project': 'elsewhere' });
    expect([403, 404]).toContain(otherProject.statusCode);
  });

  it('logs OIP calls with their features by name', async () => {
    await s.inject('POST', '/v2/models/risk/infer', { id: 'logged-1', inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: row(9) }] });
    await s.t.services.serving.runtime!.log!.flush();
    const rows = (await s.inject('GET', `/api/v1/projects/${PROJECT}/deployments/risk/predictions?limit=50`)).json().predictions;
    const logged = rows.find((r: { predictionId: string }) => r.predictionId === 'logged-1');
    expect(logged).toMatchObject({ protocol: 'oip', variant: 'a', status: 'ok' });
    expect(Object.keys(logged.features)).toEqual(FEATURES);
  });
});
