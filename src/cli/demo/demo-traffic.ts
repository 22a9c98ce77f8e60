import type { FalajClient } from '../../client/index.js';

export interface VariantTraffic {
  variant: string;
  version: number;
  answers: number;
  /** client-side round trips, ms */
  latencies: number[];
}

export interface TrafficResult {
  sent: number;
  errors: number;
  firstError: string | null;
  /** by variant and version (a promotion changes what a variant serves) */
  byVariant: Map<string, VariantTraffic>;
  latencies: number[];
  seconds: number;
}

/**
 * Sends predictions for June's routes at a fixed concurrency, until `count` are sent or
 * `stop()` says so: what an application calling the prediction API does.
 */
export async function sendPredictions(
  client: FalajClient,
  project: string,
  deployment: string,
  routes: { origin: string; destination: string }[],
  options: { concurrency: number; count?: number; stop?: () => boolean },
): Promise<TrafficResult> {
  const result: TrafficResult = { sent: 0, errors: 0, firstError: null, byVariant: new Map(), latencies: [], seconds: 0 };
  const started = performance.now();
  let next = 0;
  const more = () => (options.count === undefined || next < options.count) && !(options.stop?.() ?? false);
  const worker = async () => {
    while (more()) {
      const route = routes[next++ % routes.length]!;
      result.sent++;
      const t0 = performance.now();
      try {
        const answer = await client.serving.predict(project, deployment, { entities: { origin: route.origin, destination: route.destination } });
        const ms = performance.now() - t0;
        result.latencies.push(ms);
        const key = `${answer.variant} v${answer.modelVersion}`;
        let v = result.byVariant.get(key);
        if (!v) result.byVariant.set(key, (v = { variant: answer.variant, version: answer.modelVersion, answers: 0, latencies: [] }));
        v.answers++;
        v.latencies.push(ms);
      } catch (err) {
        result.errors++;
        result.firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
