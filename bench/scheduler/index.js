// bench/scheduler: the Alibaba GPU-cluster trace (openb, 2023: 1,213 GPU nodes, 8,152 pods)
// replayed through Falaj's scheduling policy and the baselines, in simulated time (no
// processes): mean job completion time, queueing delay, GPU utilisation and makespan,
// beside the physical floor (every job starting the moment it arrives).
//
//   npm run bench -- scheduler [recorded|snapshot|snapshot-half|compressed-quarter ...] [--tick=1]
//   npm run bench -- scheduler variants       (averages over six loaded variants; ~3 min)
//
// The trace lists a snapshot of pods that all fit the cluster at once (88% of its GPU
// share), spread over 149 days: replayed as recorded, no policy ever makes a job wait. The
// other scenarios load the same pods harder, as the trace's authors did ("inflation"):
// all submitted at once, on the whole cluster and on half of it, and the 149 days played
// in 3.6 hours on a quarter of it. Nodes are thinned per GPU model (every 2nd or 4th node
// of each model), so the mix of node types stays the trace's.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { percentile, printTable } from '../lib.js';
import { loadJobs, loadNodes } from './trace.js';
import { simulate } from './simulate.js';
import { runVariants } from './variants.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TRACE = resolve(ROOT, '../shared/data/alibaba-gpu-2023');

const SCENARIOS = {
  recorded: { title: 'as recorded: all 1,213 nodes, real arrival times', compress: 1, everyNth: 1 },
  snapshot: { title: 'the whole snapshot submitted at once (arrival order kept, all within 13 s), all nodes', compress: 1e6, everyNth: 1 },
  'snapshot-half': { title: 'the whole snapshot submitted at once, on half the nodes', compress: 1e6, everyNth: 2 },
  'compressed-quarter': { title: '149 days of arrivals played in 3.6 hours (1000x), on a quarter of the nodes', compress: 1000, everyNth: 4 },
};

export async function run(args) {
  const names = args.filter((a) => !a.startsWith('--'));
  const tick = Number(args.find((a) => a.startsWith('--tick='))?.slice(7) ?? 1);
  const variants = names.includes('variants');
  for (const name of names) if (name !== 'variants' && !SCENARIOS[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(', ')}`);
  if (!existsSync(TRACE)) throw new Error(`trace not found at ${TRACE} (the repository is expected beside ../shared)`);
  const api = await import(join(ROOT, 'dist/training/scheduler/index.js'));
  const { falajPolicy, fifoFirstFitPolicy, greedyFirstFitPolicy, FALAJ_POLICY_DEFAULTS } = api;
  const policies = [
    ['FIFO first-fit (StrictFIFO)', () => fifoFirstFitPolicy()],
    ['greedy first-fit (BestEffortFIFO)', () => greedyFirstFitPolicy()],
    ['falaj', () => falajPolicy()],
    ['falaj, BE not preemptible', () => falajPolicy({ preemption: false })],
  ];

  const allNodes = loadNodes(TRACE);
  const trace = loadJobs(TRACE);
  console.log(`trace: ${trace.total} pods; ${trace.skipped.neverScheduled} never scheduled (no duration: skipped), ${trace.skipped.noValidDuration} without a valid duration (skipped);`);
  console.log(`${trace.jobs.length} simulated, of which ${trace.censored} were still running when the snapshot was taken (duration = snapshot end − start: a lower bound).`);
  console.log(`QoS → priority: LS and Guaranteed 200, Burstable 100, BE 0 and preemptible (spot semantics). One queue, quota = the cluster; flavors = GPU models, largest pool first.`);
  console.log(`falaj defaults: ${JSON.stringify(FALAJ_POLICY_DEFAULTS)}; the scheduling loop runs on every arrival or exit, at most every ${tick} s of simulated time.`);

  const scenarios = names.filter((n) => n !== 'variants');
  for (const name of scenarios.length > 0 || variants ? scenarios : Object.keys(SCENARIOS)) {
    const scenario = SCENARIOS[name];
    const nodes = thin(allNodes, scenario.everyNth);
    const jobs = trace.jobs.map((j) => ({ ...j, arrival: j.arrival / scenario.compress }));
    const capacityMilli = nodes.reduce((s, n) => s + n.gpus * 1000, 0);
    const demand = jobs.reduce((s, j) => s + j.gpus * j.gpuMilli, 0);
    const rows = [];
    const byClass = [];
    const results = [];
    for (const [label, make] of policies) {
      const started = performance.now();
      const result = simulate(nodes, jobs, make(), { tick });
      const wall = (performance.now() - started) / 1000;
      const m = measure(jobs, result, wall);
      results.push(m);
      rows.push([label, m.finished, m.meanJct, m.meanWait, m.p95Wait, m.maxWait, pct(m.util), m.queuedUtil === null ? '-' : pct(m.queuedUtil), m.makespan / 3600, m.lastStart / 3600, String(m.preemptions), m.lostGpuHours, m.wall]);
      byClass.push([label, ...['LS', 'Guaranteed', 'Burstable', 'BE'].map((q) => m.waitByQos[q] ?? NaN), m.bigWait, m.bigMax]);
    }
    const floor = floorOf(jobs, capacityMilli);
    rows.push(['floor: every job starts on arrival', jobs.length, floor.meanJct, 0, 0, 0, pct(floor.util), '-', floor.makespan / 3600, floor.lastStart / 3600, '0', 0, '-']);
    const [fifo, , falaj] = results;
    rows.push(['falaj ÷ FIFO', '', falaj.meanJct / fifo.meanJct, ratio(falaj.meanWait, fifo.meanWait), ratio(falaj.p95Wait, fifo.p95Wait), ratio(falaj.maxWait, fifo.maxWait), falaj.util / fifo.util, '', falaj.makespan / fifo.makespan, ratio(falaj.lastStart, fifo.lastStart), '', '', '']);
    printTable(
      `${name}: ${scenario.title}. ${nodes.length} nodes, ${capacityMilli / 1000} GPUs; all pods at once would ask for ${pct(demand / capacityMilli)} of the GPU share`,
      ['policy', 'jobs', 'mean JCT s', 'mean wait s', 'p95 wait s', 'max wait s', 'GPU util', 'util while queued', 'makespan h', 'last start h', 'preempted', 'lost GPU-h', 'sim s'],
      rows,
    );
    printTable(`${name}: mean wait (s) by QoS class, and for jobs of 4 or more GPUs`, ['policy', 'LS', 'Guaranteed', 'Burstable', 'BE', '≥4 GPUs mean', '≥4 GPUs max'], byClass);
  }
  if (variants) runVariants(api, allNodes, trace.jobs, tick);
}

/** Every n-th node of each GPU model, so the mix of node types stays the trace's. */
function thin(nodes, n) {
  const seen = new Map();
  return nodes.filter((node) => {
    const i = seen.get(node.model) ?? 0;
    seen.set(node.model, i + 1);
    return i % n === 0;
  });
}

function measure(jobs, result, wall) {
  const waits = [];
  const waitByQos = {};
  const big = [];
  let jct = 0;
  let firstArrival = Infinity;
  let lastStart = 0;
  for (const j of jobs) {
    firstArrival = Math.min(firstArrival, j.arrival);
    const rec = result.record.get(j.id);
    if (rec.end === null) continue;
    lastStart = Math.max(lastStart, rec.startedAt);
    const c = rec.end - j.arrival;
    const wait = c - j.duration; // queueing, and any run lost to preemption
    jct += c;
    waits.push(wait);
    (waitByQos[j.qos] ??= []).push(wait);
    if (j.gpus >= 4) big.push(wait);
  }
  const sorted = [...waits].sort((a, b) => a - b);
  const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
  const makespan = result.lastEnd - firstArrival;
  return {
    finished: waits.length + (result.pending > 0 ? ` (${result.pending} never started)` : ''),
    meanJct: jct / waits.length,
    meanWait: mean(waits),
    p95Wait: percentile(sorted, 95),
    maxWait: sorted.at(-1),
    waitByQos: Object.fromEntries(Object.entries(waitByQos).map(([q, w]) => [q, mean(w)])),
    bigWait: mean(big),
    bigMax: Math.max(...big),
    util: result.usedIntegral / (result.capacityMilli * makespan),
    queuedUtil: result.contendedTime > 0 ? result.contendedIntegral / (result.capacityMilli * result.contendedTime) : null,
    makespan,
    lastStart: lastStart - firstArrival,
    preemptions: result.preemptions,
    lostGpuHours: result.lostMilliSeconds / 1000 / 3600,
    wall,
  };
}

/**
 * If every job started the moment it arrived: JCT = duration; makespan ≥ the latest
 * arrival + duration, and ≥ the GPU work ÷ the GPUs; the last job starts at the last arrival.
 */
function floorOf(jobs, capacityMilli) {
  const first = Math.min(...jobs.map((j) => j.arrival));
  const work = jobs.reduce((s, j) => s + j.gpus * j.gpuMilli * j.duration, 0);
  const makespan = Math.max(Math.max(...jobs.map((j) => j.arrival + j.duration)) - first, work / capacityMilli);
  const lastStart = Math.max(...jobs.map((j) => j.arrival)) - first;
  return { meanJct: jobs.reduce((s, j) => s + j.duration, 0) / jobs.length, makespan, lastStart, util: work / (capacityMilli * makespan) };
}

const pct = (x) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;
const ratio = (a, b) => (b === 0 ? (a === 0 ? 1 : Infinity) : a / b);
