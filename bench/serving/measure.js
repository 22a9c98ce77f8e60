// bench/serving: one closed-loop measurement over HTTP, with the CPU the server and this
// process (the load generator) used meanwhile, and the server's own view from /metrics.
import { availableParallelism } from 'node:os';
import { cpuSeconds, machineBusySeconds, sleep } from '../lib.js';
import { closedLoop } from '../online/load-generator.js';
import { watchOthers } from '../online/measure.js';
import { scrapeServer, serverSide } from '../online/targets.js';

const QUIET_WAIT_MS = Number(process.env.BENCH_QUIET_S ?? 5) * 1000;

/**
 * Runs `target.op` (from jsonPost / falajHttp) at `concurrency` for `warmupMs +
 * durationMs`. `server` is startFalaj's handle, or `{ pid }` for a bare server (no
 * /metrics). `route` is the Fastify route whose request-duration histogram to read.
 * `rowsPerRequest` turns requests/s into predictions/s. `ourPids`: other processes on
 * the path (a local Redis), not counted as other load. Waits first (at most BENCH_QUIET_S, default 5 s) for
 * other processes to leave the machine quiet; `others` says how much they used anyway.
 */
export async function measure({ target, concurrency, warmupMs, durationMs, server, route, rowsPerRequest = 1, ourPids = [] }) {
  const pid = server.child?.pid ?? server.pid;
  const scrape = server.token ? () => scrapeWithBatches(server, route) : async () => undefined;
  await waitForQuiet();
  const before = await scrape();
  const others = watchOthers([pid, ...ourPids]);
  const cpu = { server: cpuSeconds(pid), client: ownCpuSeconds(), at: performance.now() };
  let result;
  try {
    result = await closedLoop({ op: target.op, concurrency, warmupMs, durationMs });
  } finally {
    target.close();
  }
  const wall = (performance.now() - cpu.at) / 1000;
  const serverCpu = cpuSeconds(pid) - cpu.server;
  const clientCpu = ownCpuSeconds() - cpu.client;
  const otherLoad = others();
  await waitForIdle(pid);
  const after = await scrape();
  const batches = before && after ? meanBatchRows(before.batchRows, after.batchRows) : NaN;
  return {
    ...result,
    predictions: result.rate * rowsPerRequest,
    serverCores: serverCpu / wall,
    clientCores: clientCpu / wall,
    serverCpuPerRequest: serverCpu / result.sent,
    meanBatchRows: batches,
    others: otherLoad,
    ...(before && after ? serverSide(before, after) : {}),
  };
}

/** bench/online's scrape (route histogram, GC) plus the sum and count of the inference batch sizes. */
async function scrapeWithBatches(server, route) {
  const view = await scrapeServer({ port: server.port, token: server.token, route });
  const res = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
  const text = await res.text();
  const sum = (name) => text.split('\n').filter((l) => l.startsWith(name)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { ...view, batchRows: { sum: sum('falaj_inference_batch_rows_sum'), count: sum('falaj_inference_batch_rows_count') } };
}

function meanBatchRows(before, after) {
  const count = after.count - before.count;
  return count > 0 ? (after.sum - before.sum) / count : NaN;
}

function ownCpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Waits (at most 10 s) until the server uses under 5% of a core: the last run's backlog (and log flush) is done. */
async function waitForIdle(pid) {
  const deadline = performance.now() + 10_000;
  let last = cpuSeconds(pid);
  while (performance.now() < deadline) {
    await sleep(100);
    const now = cpuSeconds(pid);
    if (now - last < 0.005) return;
    last = now;
  }
}

/**
 * Other work on the machine (builds, tests) skews every number: waits (at most BENCH_QUIET_S seconds)
 * until the machine, all processes together, is under 15% busy over 300 ms.
 */
export async function waitForQuiet() {
  const deadline = performance.now() + QUIET_WAIT_MS;
  while (performance.now() < deadline) {
    const before = machineBusySeconds();
    await sleep(300);
    if ((machineBusySeconds() - before) / (0.3 * availableParallelism()) < 0.15) return;
  }
}
