import type { InferFn } from '../../../src/serving/contracts.js';
import type { BatchClock } from '../../../src/serving/batching/index.js';
import type { Tensor } from '../../../src/serving/runtime/index.js';

/**
 * A fake model whose answers are a known function of each row, so a test can check that
 * every request gets exactly its own rows back: `x` (float32 [n, k]) gives `sum` (float32
 * [n, 1], the row sum) and `double` (x × 2); `ids` (int64) gives `next` (ids + 1); `words`
 * (string) gives `upper`. It records each batch's feeds, and `hold()` keeps batches running
 * until `release()`, so tests control what queues behind them without timing anything.
 */
export function fakeModel(opts: { failWhen?: (feeds: Record<string, Tensor>) => Error | undefined } = {}) {
  const calls: Record<string, Tensor>[] = [];
  let holding = false;
  let waiting: (() => void)[] = [];
  const run: InferFn = async (feeds) => {
    calls.push(feeds);
    if (holding) await new Promise<void>((resolve) => waiting.push(resolve));
    else await new Promise((resolve) => setImmediate(resolve));
    const err = opts.failWhen?.(feeds);
    if (err) throw err;
    return answer(feeds);
  };
  return {
    run,
    calls,
    /** rows of every batch run so far */
    batchRows: () => calls.map((f) => Object.values(f)[0]!.dims[0]!),
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      const w = waiting;
      waiting = [];
      for (const go of w) go();
    },
  };
}

/** The fake model's answer, computed directly (the expected value in tests). */
export function answer(feeds: Record<string, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  if (feeds.x) {
    const x = feeds.x.data as Float32Array;
    const [n, k] = feeds.x.dims as [number, number];
    const sum = new Float32Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) sum[i]! += x[i * k + j]!;
    out.sum = { type: 'float32', data: sum, dims: [n, 1] };
    out.double = { type: 'float32', data: x.map((v) => v * 2), dims: [...feeds.x.dims] };
  }
  if (feeds.ids) out.next = { type: 'int64', data: (feeds.ids.data as BigInt64Array).map((v) => v + 1n), dims: [...feeds.ids.dims] };
  if (feeds.words) out.upper = { type: 'string', data: (feeds.words.data as string[]).map((w) => w.toUpperCase()), dims: [...feeds.words.dims] };
  return out;
}

/** `rows` float32 rows of width `k`, each value tagged with `seed` so requests differ. */
export function floatRows(seed: number, rows = 1, k = 3): Tensor {
  return { type: 'float32', data: Float32Array.from({ length: rows * k }, (_, i) => seed * 100 + i), dims: [rows, k] };
}

/** Plain arrays of a result, for toEqual. */
export function plain(outputs: Record<string, Tensor>): Record<string, { dims: number[]; data: unknown[] }> {
  return Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, { dims: t.dims, data: Array.from(t.data as ArrayLike<unknown>) }]));
}

/** A clock the test moves by hand: timers fire only inside `advance`. */
export class ManualClock implements BatchClock {
  now = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];

  nowMicros(): number {
    return this.now;
  }

  schedule(delayMicros: number, fn: () => void): () => void {
    const timer = { at: this.now + delayMicros, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }

  /** live timers not yet fired */
  pending(): number {
    return this.timers.filter((t) => t.live).length;
  }

  advance(micros: number): void {
    this.now += micros;
    const due = this.timers.filter((t) => t.live && t.at <= this.now).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.live && t.at > this.now);
    for (const t of due) if (t.live) t.fn();
  }
}
