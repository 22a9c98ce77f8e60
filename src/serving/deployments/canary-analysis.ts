import { quantileOf } from './latency-histogram.js';

/** What one variant did over a window, summed over every replica. */
export interface VariantWindow {
  requests: number;
  errors: number;
  /** counts per {@link LATENCY_BUCKETS_MS} bucket */
  latency: number[];
}

export interface CanaryThresholds {
  minRequests: number;
  maxErrorRateIncrease: number;
  maxLatencyRatio: number;
  latencyFloorMs: number;
}

/** The verdict on the canary for the step so far. */
export interface CanaryAnalysis {
  at: string;
  verdict: 'healthy' | 'unhealthy' | 'insufficient-data';
  reasons: string[];
  canary: { requests: number; errorRate: number | null; p99Ms: number | null };
  stable: { requests: number; errorRate: number | null; p99Ms: number | null };
}

/**
 * Compares the canary with the stable version over the same window (Argo Rollouts' and
 * Flagger's analysis: error rate and p99 latency against the baseline, not against fixed
 * numbers, so a slow day does not fail a good canary). Unhealthy as soon as the canary
 * has `minRequests` and breaks a threshold; healthy only with `minRequests`.
 */
export function analyseCanary(canary: VariantWindow, stable: VariantWindow, t: CanaryThresholds, at: Date): CanaryAnalysis {
  const summary = (w: VariantWindow) => ({
    requests: w.requests,
    errorRate: w.requests > 0 ? w.errors / w.requests : null,
    p99Ms: quantileOf(w.latency, 0.99),
  });
  const c = summary(canary);
  const s = summary(stable);
  const base = { at: at.toISOString(), canary: c, stable: s };
  if (canary.requests < t.minRequests) {
    return { ...base, verdict: 'insufficient-data', reasons: [`${canary.requests} of ${t.minRequests} canary predictions so far`] };
  }
  const reasons: string[] = [];
  const stableRate = s.errorRate ?? 0;
  if (c.errorRate! - stableRate > t.maxErrorRateIncrease) {
    reasons.push(`error rate ${pct(c.errorRate!)} against the stable's ${pct(stableRate)} (at most ${pct(t.maxErrorRateIncrease)} more allowed)`);
  }
  if (c.p99Ms !== null && c.p99Ms > t.latencyFloorMs) {
    const limit = s.p99Ms === null ? null : Math.max(s.p99Ms * t.maxLatencyRatio, t.latencyFloorMs);
    if (limit !== null && c.p99Ms > limit) reasons.push(`p99 latency ${c.p99Ms.toFixed(2)} ms against the stable's ${s.p99Ms!.toFixed(2)} ms (at most ×${t.maxLatencyRatio})`);
  }
  return { ...base, verdict: reasons.length ? 'unhealthy' : 'healthy', reasons };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}
