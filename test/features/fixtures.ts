import { resolve } from 'node:path';
import { expect } from 'vitest';
import type { TestApp } from '../helpers/app.js';

/** Small feature definitions shared by the registry and online retrieval suites. */

/** A real Parquet file (3 million flights), so a BatchSource path always exists. */
export const FLIGHTS_PARQUET = resolve('node_modules/vega-datasets/data/flights-3m.parquet');

export type Spec = Record<string, unknown> & { kind: string; name: string };

export const driver: Spec = { kind: 'Entity', name: 'driver', joinKeys: ['driver_id'], valueType: 'int64' };
export const route: Spec = { kind: 'Entity', name: 'route', joinKeys: ['origin', 'destination'] };

export const trips: Spec = {
  kind: 'PushSource',
  name: 'trips',
  schema: { driver_id: 'int64', ts: 'timestamp', trips: 'int64', rating: 'float64', city: 'string', fare: 'float64' },
  timestampField: 'ts',
  classification: 'public',
};

export const flights: Spec = { kind: 'BatchSource', name: 'flights', path: FLIGHTS_PARQUET, timestampField: 'date', classification: 'public' };

export function driverStats(overrides: Partial<Spec> = {}): Spec {
  return {
    kind: 'FeatureView',
    name: 'driver_stats',
    entities: ['driver'],
    source: 'trips',
    ttl: '1d',
    classification: 'public',
    features: [
      { name: 'trips_today', type: 'int64', column: 'trips' },
      { name: 'avg_rating', type: 'float64', column: 'rating' },
    ],
    ...overrides,
  };
}

export function routeStats(overrides: Partial<Spec> = {}): Spec {
  return {
    kind: 'FeatureView',
    name: 'route_stats',
    entities: ['route'],
    source: 'flights',
    ttl: '0',
    classification: 'public',
    features: [
      { name: 'route_distance', type: 'int64', column: 'distance' },
      { name: 'delay_mean_7d', type: 'float64', aggregation: { function: 'mean', column: 'delay', window: '7d' } },
    ],
    ...overrides,
  };
}

export const driverModel: Spec = { kind: 'FeatureService', name: 'driver_model', features: ['driver_stats:*', 'route_stats:route_distance'] };

/** The request body's `objects`, each with an origin naming its document. */
export const objects = (...specs: Spec[]) => specs.map((spec, i) => ({ spec, origin: `features.yaml#${i + 1}` }));

export async function post(t: TestApp, what: 'plan' | 'apply', specs: Spec[], prune = false, token?: string) {
  return t.app.inject({ method: 'POST', url: `/api/v1/projects/default/features/${what}`, headers: t.auth(token), payload: { objects: objects(...specs), prune } });
}

/** Applies the definitions and fails the test unless they were applied. */
export async function applyOk(t: TestApp, specs: Spec[], prune = false) {
  const res = await post(t, 'apply', specs, prune);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().applied).toBe(true);
  return res.json() as { items: { kind: string; name: string; action: string; fromVersion: number | null; toVersion: number | null; changes: string[]; breaking: string[] }[] };
}
