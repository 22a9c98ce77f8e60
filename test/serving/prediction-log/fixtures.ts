import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { PredictionRecord } from '../../../src/serving/contracts.js';
import type { PredictionLogEngine } from '../../../src/serving/prediction-log/index.js';

/** A fresh data folder: offline Parquet under `dir`, spill segments under `spillDir`. */
export async function tempDirs(): Promise<{ root: string; dir: string; spillDir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'falaj-prediction-log-'));
  return { root, dir: join(root, 'offline'), spillDir: join(root, 'serving', 'prediction-log'), cleanup: () => rm(root, { recursive: true, force: true }) };
}

let sequence = 0;

/** A logged prediction with two instances; override any field. */
export function record(overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  sequence++;
  return {
    predictionId: `p-${sequence}`,
    project: 'shop',
    deployment: 'churn',
    variant: 'stable',
    model: 'churn-model',
    modelVersion: 3,
    requestedAt: Date.UTC(2024, 4, 1, 12, 0, 0, sequence),
    latencyMs: 1.25,
    status: 'ok',
    error: null,
    shadow: false,
    protocol: 'predict',
    entities: [{ customer_id: 'c1' }, { customer_id: 'c2' }],
    features: [
      { age: 31, plan: 'pro', history: [1, 2, 3] },
      { age: 45, plan: 'free', history: [] },
    ],
    outputs: [{ score: 0.25 }, { score: 0.75 }],
    ...overrides,
  };
}

/** An offline engine whose every query fails, as DuckDB does when its disk is full. */
export function failingEngine(message = 'IO Error: No space left on device'): PredictionLogEngine & { calls: number } {
  const engine = {
    calls: 0,
    async get() {
      return {
        query: () => {
          engine.calls++;
          return Promise.reject(new Error(message));
        },
      };
    },
  };
  return engine;
}

/** Collects the warnings a log reports. */
export function warnings(): { list: Error[]; onError: (err: Error) => void } {
  const list: Error[] = [];
  return { list, onError: (err) => list.push(err) };
}

/** Clean-ups run after each test, last registered first; call once at a test file's top level. */
export function cleanupsAfterEach(): Array<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });
  return cleanups;
}
