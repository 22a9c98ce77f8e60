// A small load generator for bench/online: open loop at a fixed rate (latency from the
// scheduled send time, so a slow answer cannot hide the requests queued behind it: no
// coordinated omission) and closed loop at a fixed concurrency. `op()` is one request:
// it returns a promise (HTTP, ioredis) or nothing (a synchronous SQLite read).
import { createHistogram } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { sleep } from '../lib.js';

// Node timers fire up to ~1 ms late (libuv keeps time in whole milliseconds), which would
// add the generator's own error to a sub-millisecond latency; spinning until each send
// would take a core from the server on a small machine. So a worker thread keeps the
// schedule, sleeping in Atomics.wait (a futex with a fractional-ms timeout), and posts
// each index as it comes due; the main thread, idle in epoll, wakes and sends. At low
// rates the worker posts EARLY_MS ahead and the main thread polls (setImmediate) for
// the rest, hiding the two thread wake-ups (~0.1 ms here) for a few % of a core.
const EARLY_MS = 0.3;
const TICKER = `
const { parentPort } = require('node:worker_threads');
const cell = new Int32Array(new SharedArrayBuffer(4));
const now = () => performance.timeOrigin + performance.now();
parentPort.once('message', ({ startAbs, interval, total, early }) => {
  for (let i = 0; i < total; i++) {
    const due = startAbs + i * interval - early;
    for (let left = due - now(); left > 0; left = due - now()) Atomics.wait(cell, 0, 0, left);
    parentPort.postMessage(i);
  }
});
`;

// How long an open-loop run waits for answers after its last send; still unanswered
// requests are then recorded as (cut-off − scheduled), a lower bound, and counted.
const DRAIN_MS = 1000;

/**
 * Sends `op()` at `rate` per second for `warmupMs + durationMs`; records requests
 * scheduled after the warm-up. Latency = completion − scheduled send time.
 */
export async function openLoop({ op, rate, warmupMs, durationMs }) {
  const latency = createHistogram();
  const lag = createHistogram(); // actual send − scheduled send: the generator's own error
  const interval = 1000 / rate;
  const total = Math.round(((warmupMs + durationMs) / 1000) * rate);
  const first = Math.round((warmupMs / 1000) * rate); // index of the first measured request
  const ticker = new Worker(TICKER, { eval: true });
  await new Promise((resolve, reject) => ticker.once('online', resolve).once('error', reject));
  const start = performance.now() + 5;
  const measureStart = start + first * interval;
  const pending = new Map(); // index → scheduled time (measured requests only)
  const measureEnd = start + total * interval;
  let inWindow = 0; // answers (to any request) between the first measured send and the last send
  let errors = 0;
  let next = 0;

  const fire = (i) => {
    const scheduled = start + i * interval;
    const measured = i >= first;
    if (measured) {
      lag.record(Math.max(1, Math.round((performance.now() - scheduled) * 1e6))); // ≥ 0 but for clock skew between threads
      pending.set(i, scheduled);
    }
    const done = (ok) => {
      const now = performance.now();
      if (now >= measureStart && now <= measureEnd) inWindow++; // warm-up requests served late count too
      if (!measured || !pending.delete(i)) return;
      if (!ok) errors++;
      latency.record(Math.max(1, Math.round((now - scheduled) * 1e6)));
    };
    let result;
    try {
      result = op();
    } catch {
      done(false);
      return;
    }
    if (result && typeof result.then === 'function') result.then(() => done(true), () => done(false));
    else done(true);
  };

  try {
    await new Promise((resolve, reject) => {
      ticker.on('error', reject);
      let announced = -1; // the last index the ticker said is (nearly) due
      const sendDue = () => {
        const now = performance.now();
        while (next <= announced && start + next * interval <= now) fire(next++);
        if (next >= total) resolve();
        else if (next <= announced) setImmediate(sendDue);
      };
      ticker.on('message', (due) => {
        const polling = next <= announced;
        announced = due;
        if (!polling) sendDue();
      });
      ticker.postMessage({ startAbs: performance.timeOrigin + start, interval, total, early: interval >= 4 * EARLY_MS ? EARLY_MS : 0 });
    });
  } finally {
    await ticker.terminate();
  }
  const cutoff = performance.now() + DRAIN_MS;
  while (pending.size > 0 && performance.now() < cutoff) await sleep(5);
  const unfinished = pending.size;
  const now = performance.now();
  for (const scheduled of pending.values()) latency.record(Math.max(1, Math.round((now - scheduled) * 1e6)));
  pending.clear();
  return { ...summary(latency, inWindow, errors, unfinished, durationMs / 1000, lag), sent: total };
}

/** `concurrency` callers each send `op()` again as soon as the last answer arrives. */
export async function closedLoop({ op, concurrency, warmupMs, durationMs }) {
  const latency = createHistogram();
  const measureStart = performance.now() + warmupMs;
  const end = measureStart + durationMs;
  let completed = 0;
  let errors = 0;
  let sends = 0;
  const caller = async () => {
    for (;;) {
      const sent = performance.now();
      if (sent >= end) return;
      sends++;
      let ok = true;
      try {
        await op();
      } catch {
        ok = false;
      }
      const now = performance.now();
      if (sent >= measureStart && now <= end) {
        latency.record(Math.max(1, Math.round((now - sent) * 1e6)));
        completed++;
        if (!ok) errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { ...summary(latency, completed, errors, 0, durationMs / 1000), sent: sends };
}

function summary(latency, completed, errors, unfinished, seconds, lag) {
  const ms = (ns) => ns / 1e6;
  return {
    p50: ms(latency.percentile(50)),
    p90: ms(latency.percentile(90)),
    p99: ms(latency.percentile(99)),
    p999: ms(latency.percentile(99.9)),
    max: ms(latency.max),
    rate: seconds > 0 ? completed / seconds : NaN,
    completed,
    errors,
    unfinished,
    lagP99: lag ? ms(lag.percentile(99)) : NaN,
  };
}
