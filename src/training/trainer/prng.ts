/**
 * Seeded, deterministic randomness for initialisation, shuffling and hash splits. Every
 * stream is derived from `(seed, purpose, index)` rather than carried along, so a run
 * resumed from a checkpoint at epoch k draws exactly what an uninterrupted run draws.
 */

/** A 32-bit integer hash of the given integers (MurmurHash3's finaliser over a running mix). */
export function hash32(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    h = Math.imul(h ^ (value >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Purposes, so that two streams of one seed never coincide. */
export const STREAM = { init: 1, shuffle: 2, split: 3 } as const;

/** mulberry32: a tiny 32-bit generator, uniform in [0, 1). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A standard normal draw (Box–Muller; the second value is discarded to stay stateless). */
  gaussian(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) is never taken
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** The order of `n` training rows in epoch `epoch`: a Fisher–Yates shuffle seeded by (seed, epoch). */
export function epochOrder(n: number, seed: number, epoch: number, out: Uint32Array = new Uint32Array(n)): Uint32Array {
  const random = new Random(hash32(seed, STREAM.shuffle, epoch));
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.below(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
