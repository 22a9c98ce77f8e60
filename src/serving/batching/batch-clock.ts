/**
 * Time as the dynamic batcher sees it, injectable so tests can drive the queue delay
 * by hand instead of waiting.
 */
export interface BatchClock {
  /** a monotonic time in microseconds */
  nowMicros(): number;
  /** calls `fn` once, about `delayMicros` from now; returns a function that cancels it */
  schedule(delayMicros: number, fn: () => void): () => void;
}

/**
 * The real clock. Node timers have millisecond resolution and fire late under load, so:
 * a delay under 1 ms becomes "the next turn of the event loop" (`setImmediate`, after the
 * I/O poll phase, so requests that arrived in the same turn join the batch), and a delay
 * of 1 ms or more is rounded to whole milliseconds with `setTimeout`. A queue delay is a
 * bound the batcher aims at, not a guarantee.
 */
export const systemClock: BatchClock = {
  nowMicros: () => performance.now() * 1000,
  schedule(delayMicros, fn) {
    if (delayMicros < 1000) {
      const handle = setImmediate(fn);
      return () => clearImmediate(handle);
    }
    const handle = setTimeout(fn, Math.round(delayMicros / 1000));
    return () => clearTimeout(handle);
  },
};
