/**
 * Fixed latency buckets (upper bounds in ms) shared by every replica, so histograms from
 * several replicas add up bucket by bucket and a p99 can be read from the sum.
 */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000, 10_000, Infinity] as const;

/** Index of the bucket that holds `ms`. */
export function bucketOf(ms: number): number {
  let i = 0;
  while (ms > LATENCY_BUCKETS_MS[i]!) i++;
  return i;
}

export function emptyHistogram(): number[] {
  return new Array<number>(LATENCY_BUCKETS_MS.length).fill(0);
}

export function addHistograms(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < into.length; i++) into[i]! += from[i] ?? 0;
  return into;
}

/**
 * The `q` quantile of a histogram, interpolated linearly inside its bucket (as
 * Prometheus' `histogram_quantile` does); null when empty. The last, open bucket
 * answers its lower bound.
 */
export function quantileOf(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i]!;
    if (count > 0 && seen + count >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      const upper = LATENCY_BUCKETS_MS[i]!;
      if (!Number.isFinite(upper)) return lower;
      return lower + ((upper - lower) * (rank - seen)) / count;
    }
    seen += count;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 2]!;
}
