import { describe, expect, it } from 'vitest';
import { analyseCanary } from '../../../src/serving/deployments/canary-analysis.js';
import { checkDeploymentSpec } from '../../../src/serving/deployments/check-deployment.js';
import type { DeploymentSpec } from '../../../src/serving/deployments/deployment.schema.js';
import { bucketOf, emptyHistogram, quantileOf } from '../../../src/serving/deployments/latency-histogram.js';
import { hashUnit, pickRoute, trafficSplit } from '../../../src/serving/deployments/traffic.js';
import type { DeploymentStatus } from '../../../src/serving/deployments/deployment-types.js';

const serving: DeploymentStatus = { phase: 'serving', rollout: null, history: [] };
const progressing = (weight: number): DeploymentStatus => ({ phase: 'progressing', rollout: { step: 0, weight, stepStartedAt: '2026-01-01T00:00:00Z', lastAnalysis: null }, history: [] });
const spec = (over: Partial<DeploymentSpec>): DeploymentSpec => ({ kind: 'Deployment', name: 'd', model: 'm', routes: [{ name: 'main', version: 1 }], ...over });

describe('traffic split and sticky assignment', () => {
  const ab = spec({ mode: 'ab', routes: [{ name: 'a', version: 1, weight: 70 }, { name: 'b', version: 2, weight: 30 }] });

  it('keeps a caller on one variant: the same key always lands on the same route', () => {
    const split = trafficSplit(ab, serving);
    for (let user = 0; user < 200; user++) {
      const first = pickRoute(split, 'd', `user-${user}`).name;
      for (let again = 0; again < 3; again++) expect(pickRoute(split, 'd', `user-${user}`).name).toBe(first);
    }
  });

  it('splits many callers close to the weights', () => {
    const split = trafficSplit(ab, serving);
    let a = 0;
    for (let user = 0; user < 20_000; user++) if (pickRoute(split, 'd', `user-${user}`).name === 'a') a++;
    expect(a / 20_000).toBeGreaterThan(0.68);
    expect(a / 20_000).toBeLessThan(0.72);
  });

  it('keeps canary users in the canary as its share grows (monotone), and sends none there once rolled back', () => {
    const canary = spec({ mode: 'canary', routes: [{ name: 'stable', version: 1 }, { name: 'canary', version: 2 }] });
    const at5 = new Set<number>();
    for (let user = 0; user < 5000; user++) if (pickRoute(trafficSplit(canary, progressing(5)), 'd', String(user)).name === 'canary') at5.add(user);
    expect(at5.size).toBeGreaterThan(150);
    expect(at5.size).toBeLessThan(350);
    for (const user of at5) expect(pickRoute(trafficSplit(canary, progressing(25)), 'd', String(user)).name).toBe('canary');
    const rolledBack: DeploymentStatus = { phase: 'rolled-back', rollout: null, history: [] };
    for (let user = 0; user < 500; user++) expect(pickRoute(trafficSplit(canary, rolledBack), 'd', String(user)).name).toBe('stable');
  });

  it('hashes to [0, 1) with no obvious bias on short keys', () => {
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const u = hashUnit(String(i));
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      buckets[Math.floor(u * 10)]++;
    }
    for (const b of buckets) expect(Math.abs(b - 1000)).toBeLessThan(150);
  });
});

describe('deployment rules a schema cannot state', () => {
  const refused = (s: DeploymentSpec) => {
    try {
      checkDeploymentSpec(s);
    } catch (err) {
      expect((err as { code: string }).code).toBe('FALAJ_DEPLOYMENT_INVALID');
      return (err as Error).message;
    }
    throw new Error('expected the spec to be refused');
  };

  it('accepts each mode with the routes it needs', () => {
    checkDeploymentSpec(spec({}));
    checkDeploymentSpec(spec({ mode: 'ab', routes: [{ name: 'a', version: 1, weight: 50 }, { name: 'b', alias: 'champion', weight: 50 }] }));
    checkDeploymentSpec(spec({ mode: 'canary', routes: [{ name: 'stable', version: 1 }, { name: 'canary', version: 2 }], canary: { steps: [10, 50, 100], interval: '1m' } }));
    checkDeploymentSpec(spec({ mode: 'shadow', routes: [{ name: 'main', version: 1 }, { name: 'challenger', version: 2, mirror: true }] }));
  });

  it('refuses what would route nowhere or twice', () => {
    expect(refused(spec({ routes: [{ name: 'a', version: 1, alias: 'x' }] }))).toContain('exactly one of version and alias');
    expect(refused(spec({ routes: [{ name: 'a' }] }))).toContain('exactly one of version and alias');
    expect(refused(spec({ routes: [{ name: 'a', version: 1 }, { name: 'a', version: 2 }] }))).toContain('named twice');
    expect(refused(spec({ mode: 'ab', routes: [{ name: 'a', version: 1, weight: 60 }, { name: 'b', version: 2, weight: 30 }] }))).toContain('add up to 90');
    expect(refused(spec({ mode: 'ab', routes: [{ name: 'a', version: 1, weight: 60 }, { name: 'b', version: 2 }] }))).toContain('missing on b');
    expect(refused(spec({ mode: 'canary', routes: [{ name: 'old', version: 1 }, { name: 'new', version: 2 }] }))).toContain('named stable and canary');
    expect(refused(spec({ mode: 'canary', routes: [{ name: 'stable', version: 1 }, { name: 'canary', version: 2 }], canary: { steps: [50, 20] } }))).toContain('must increase');
    expect(refused(spec({ mode: 'shadow' }))).toContain('mirror: true');
    expect(refused(spec({ routes: [{ name: 'a', version: 1, mirror: true }] }))).toContain('every route is a mirror');
    expect(refused(spec({ canary: { steps: [10] } }))).toContain('needs mode canary');
    expect(refused(spec({ sticky: { entity: 'user', header: 'x-user' } }))).toContain('not both');
  });
});

describe('canary analysis', () => {
  const window = (requests: number, errors: number, latencyMs: number) => {
    const latency = emptyHistogram();
    latency[bucketOf(latencyMs)] = requests;
    return { requests, errors, latency };
  };
  const t = { minRequests: 100, maxErrorRateIncrease: 0.01, maxLatencyRatio: 1.5, latencyFloorMs: 5 };
  const now = new Date('2026-01-01T00:00:00Z');

  it('waits for enough canary traffic, then judges against the stable version', () => {
    expect(analyseCanary(window(50, 0, 2), window(1000, 0, 2), t, now).verdict).toBe('insufficient-data');
    expect(analyseCanary(window(200, 1, 2), window(1000, 5, 2), t, now).verdict).toBe('healthy');
  });

  it('fails a canary with more errors or a slower p99 than stable, but not for sub-floor latencies', () => {
    const errors = analyseCanary(window(200, 10, 2), window(1000, 5, 2), t, now);
    expect(errors.verdict).toBe('unhealthy');
    expect(errors.reasons[0]).toContain('error rate 5.00 %');
    const slow = analyseCanary(window(200, 0, 40), window(1000, 0, 9), t, now);
    expect(slow.verdict).toBe('unhealthy');
    expect(slow.reasons[0]).toContain('p99 latency');
    expect(analyseCanary(window(200, 0, 3), window(1000, 0, 0.4), t, now).verdict).toBe('healthy');
  });

  it('reads quantiles from summed histograms', () => {
    const h = emptyHistogram();
    h[bucketOf(1)] = 99;
    h[bucketOf(100)] = 1;
    expect(quantileOf(h, 0.5)).toBeLessThanOrEqual(1);
    expect(quantileOf(h, 0.995)).toBeGreaterThan(75);
    expect(quantileOf(emptyHistogram(), 0.99)).toBeNull();
  });
});
