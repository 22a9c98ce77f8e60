import { expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { SYSTEM_PRINCIPAL, type RequestContext } from '../../src/security/index.js';
import { exportOnnx, trainTabularModel } from '../../src/training/trainer/index.js';
import { withTrainerDefaults } from '../../src/training/trainer/spec.js';
import { createTestApp, type MetadataEngine, type TestApp } from '../helpers/app.js';
import { syntheticData } from '../training/trainer/synthetic.js';
import { applyOk, type Spec } from '../features/fixtures.js';

export const PROJECT = 'default';
export const system: RequestContext = { principal: SYSTEM_PRINCIPAL, requestId: 'test' };
export const FEATURES = ['f0', 'f1', 'f2', 'f3'];

/** A driver entity whose four features f0…f3 come from a push source, served as `driver_features`. */
export const DEFINITIONS: Spec[] = [
  { kind: 'Entity', name: 'driver', joinKeys: ['driver_id'], valueType: 'int64' },
  { kind: 'PushSource', name: 'driver_events', schema: { driver_id: 'int64', ts: 'timestamp', f0: 'float64', f1: 'float64', f2: 'float64', f3: 'float64' }, timestampField: 'ts', classification: 'public' },
  {
    kind: 'FeatureView', name: 'driver_stats', entities: ['driver'], source: 'driver_events', ttl: '0', classification: 'public',
    features: FEATURES.map((name) => ({ name, type: 'float64' })),
  },
  { kind: 'FeatureService', name: 'driver_features', features: ['driver_stats:*'] },
];

/** Deterministic feature values of driver `id` (some far from the training data's centre). */
export const driverFeatures = (id: number) => Object.fromEntries(FEATURES.map((f, j) => [f, ((id * 37 + j * 11) % 50) - 25 + j * 100]));

export interface ServingApp {
  t: TestApp;
  /** registers a version of `model` trained on synthetic data (seed and width vary the answers); returns its number and bytes */
  register(model: string, options?: { seed?: number; width?: number; hidden?: boolean; featureService?: string | null }): Promise<{ version: number; bytes: Uint8Array }>;
  /** what ONNX Runtime answers in-process for these rows of features (the floor the server must equal) */
  expected(bytes: Uint8Array, rows: Record<string, number>[], names?: string[]): Promise<number[]>;
  inject(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers?: Record<string, string>): Promise<{ statusCode: number; body: string; headers: Record<string, unknown>; json(): any; rawPayload: Buffer }>;
  deploy(spec: Record<string, unknown>): Promise<any>;
  dispose(): Promise<void>;
}

/** A real app with the driver features applied and pushed to the online store for drivers 1…50. */
export async function servingApp(engine: MetadataEngine = { name: 'sqlite' }, flags: Record<string, unknown> = {}): Promise<ServingApp> {
  const t = await createTestApp(engine, { 'training.localPool': false, ...flags });
  await applyOk(t, DEFINITIONS);
  const rows = Array.from({ length: 50 }, (_, i) => ({ driver_id: i + 1, ts: '2024-06-01T12:00:00Z', ...driverFeatures(i + 1) }));
  await t.services.push.push(system, PROJECT, 'driver_events', rows, 'online');
  const experiment = await t.services.tracking.defaultExperiment(system, PROJECT);
  const sessions = new Map<Uint8Array, ort.InferenceSession>();
  const inject: ServingApp['inject'] = (method, url, payload, headers = {}) =>
    t.app.inject({ method, url, headers: { ...t.auth(), ...headers }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) }) as never;
  return {
    t,
    inject,
    async register(model, options = {}) {
      const width = options.width ?? 4;
      const spec = withTrainerDefaults({ type: 'tabular', task: 'binary', label: 'y', model: options.hidden ? 'mlp' : 'linear', epochs: 3, seed: options.seed ?? 1 });
      const data = syntheticData('linear', 300, options.seed ?? 7, { width });
      const result = await trainTabularModel(data, spec);
      const bytes = exportOnnx(result.model!);
      const run = await t.services.tracking.createRun(system, PROJECT, { experimentId: experiment.id });
      await t.services.artifacts.put(system, PROJECT, run.info.id, 'model/model.onnx', Buffer.from(bytes));
      try {
        await t.services.models.getModel(PROJECT, model);
      } catch {
        await t.services.models.createModel(system, PROJECT, { name: model });
      }
      const fs = options.featureService === undefined ? 'driver_features' : options.featureService;
      const version = await t.services.models.createVersion(system, PROJECT, model, {
        source: `runs:/${run.info.id}/model`,
        ...(fs ? { lineage: { featureService: { name: fs, version: 1 } } } : {}),
      });
      expect(version.status).toBe('READY');
      return { version: version.version, bytes };
    },
    async expected(bytes, rows, names = FEATURES) {
      let session = sessions.get(bytes);
      if (!session) sessions.set(bytes, (session = await ort.InferenceSession.create(bytes)));
      const data = Float32Array.from(rows.flatMap((r) => names.map((n) => r[n] ?? NaN)));
      const out = await session.run({ features: new ort.Tensor('float32', data, [rows.length, names.length]) });
      return Array.from(out.probability!.data as Float32Array);
    },
    async deploy(spec) {
      const res = await inject('PUT', `/api/v1/projects/${PROJECT}/deployments/${spec.name as string}`, { kind: 'Deployment', ...spec });
      expect(res.statusCode, res.body).toBe(200);
      await t.services.serving.runtime!.live.refresh();
      return res.json();
    },
    dispose: () => t.dispose(),
  };
}
