// bench/online: one measurement, with what the server and the machine did meanwhile.
import { availableParallelism } from 'node:os';
import { cpuSeconds, machineBusySeconds, sleep } from '../lib.js';
import { closedLoop, openLoop } from './load-generator.js';
import { falajHttp, redisFloor, scrapeServer, serverSide, sqliteFloor } from './targets.js';

/**
 * Falaj over HTTP for scenario `s` (`rate` → open loop, else closed loop at
 * `concurrency`), plus the server's CPU per request, its own latency histogram and GC
 * time (over warm-up and measurement together), and the load other processes put on
 * the machine. `ourPids`: processes whose CPU is part of the path (server, Redis).
 */
export async function measureHttp({ server, ourPids, pool, s, durations, openSockets }) {
  const target = falajHttp({ port: server.port, token: server.token, pool, feast: s.feast, maxSockets: s.concurrency ?? openSockets });
  const pid = server.child.pid;
  const route = s.feast ? '/get-online-features' : '/api/v1/projects/:project/features/online';
  const scrape = () => scrapeServer({ port: server.port, token: server.token, route });
  const metricsBefore = await scrape();
  const cpuBefore = cpuSeconds(pid);
  const others = watchOthers(ourPids);
  try {
    const result = s.rate
      ? await openLoop({ op: target.op, rate: s.rate, warmupMs: durations.warmupMs, durationMs: durations.openMs })
      : await closedLoop({ op: target.op, concurrency: s.concurrency, warmupMs: 500, durationMs: durations.closedMs });
    const cpuPerRequest = (cpuSeconds(pid) - cpuBefore) / result.sent;
    const load = others();
    target.close();
    await waitForIdle(pid);
    return { ...result, cpuPerRequest, others: load, ...serverSide(metricsBefore, await scrape()) };
  } finally {
    target.close();
  }
}

/** The floor for scenario `s`: the store reads alone, from this process (`floorStore` from openFloorStore). */
export async function measureFloor({ floorStore, pool, s, durations }) {
  const { op } = floorStore.engine === 'redis' ? redisFloor({ redis: floorStore.redis, keyPrefix: floorStore.keyPrefix, pool }) : sqliteFloor({ db: floorStore.db, pool });
  const others = watchOthers(floorStore.pids);
  // A synchronous read has no concurrency: one caller back to back is its ceiling.
  const result = s.rate
    ? await openLoop({ op, rate: s.rate, warmupMs: 500, durationMs: durations.floorMs })
    : await closedLoop({ op, concurrency: floorStore.engine === 'sqlite' ? 1 : s.concurrency, warmupMs: 500, durationMs: durations.floorMs });
  return { ...result, others: others() };
}

/** Scenario `s` against the bare HTTP server of http-baseline.js (`target` from baselineTarget). */
export async function measureBaseline({ baseline, target, s, durations }) {
  const others = watchOthers([baseline.pid]);
  const cpuBefore = cpuSeconds(baseline.pid);
  try {
    const result = s.rate
      ? await openLoop({ op: target.op, rate: s.rate, warmupMs: durations.warmupMs, durationMs: durations.openMs })
      : await closedLoop({ op: target.op, concurrency: s.concurrency, warmupMs: 500, durationMs: durations.closedMs });
    return { ...result, cpuPerRequest: (cpuSeconds(baseline.pid) - cpuBefore) / result.sent, others: others() };
  } finally {
    target.close();
  }
}

/** Waits (at most 20 s) until the server uses under 10% of a core: an overloaded run's backlog is gone. */
async function waitForIdle(pid) {
  const deadline = performance.now() + 20_000;
  let last = cpuSeconds(pid);
  while (performance.now() < deadline) {
    await sleep(200);
    const now = cpuSeconds(pid);
    if (now - last < 0.02) return;
    last = now;
  }
}

/**
 * The machine may be shared: returns a function giving the share of all cores (%) that
 * processes other than this one and `pids` used since the call.
 */
export function watchOthers(pids) {
  const ours = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6 + pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  };
  const started = { at: performance.now(), machine: machineBusySeconds(), ours: ours() };
  return () => {
    const wall = (performance.now() - started.at) / 1000;
    const other = machineBusySeconds() - started.machine - (ours() - started.ours);
    return Math.max(0, (100 * other) / (wall * availableParallelism()));
  };
}
