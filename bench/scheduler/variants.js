// `npm run bench -- scheduler variants`: is a difference between placements or starvation
// settings more than noise? Runs each configuration over six loaded variants of the trace
// (the 149 days in 3.6 hours on each of the four quarter-clusters, the whole snapshot at
// once on both half-clusters) and prints the averages: once with every pod at one
// priority (only placement and the reservation differ), once with the trace's QoS.
import { printTable } from '../lib.js';
import { simulate } from './simulate.js';

const VARIANTS = [
  ...[0, 1, 2, 3].map((offset) => ({ compress: 1000, everyNth: 4, offset })),
  ...[0, 1].map((offset) => ({ compress: 1e6, everyNth: 2, offset })),
];

export function runVariants(api, allNodes, traceJobs, tick) {
  const { falajPolicy, greedyFirstFitPolicy } = api;
  const off = { preemption: false, starvationThresholdMs: null };
  const configs = [
    ['greedy first-fit', () => greedyFirstFitPolicy()],
    ['falaj first-fit, no reservation, no preemption', () => falajPolicy({ ...off, placement: 'first-fit' })],
    ['falaj first-fit, reservation', () => falajPolicy({ preemption: false, placement: 'first-fit' })],
    ['falaj best-fit, no reservation, no preemption', () => falajPolicy(off)],
    ['falaj best-fit, reservation (no preemption)', () => falajPolicy({ preemption: false })],
    ['falaj (best-fit, reservation, preemption)', () => falajPolicy()],
  ];
  for (const flat of [true, false]) {
    const jobs = flat ? traceJobs.map((j) => ({ ...j, priority: 0, preemptible: false })) : traceJobs;
    const rows = [];
    for (const [label, make] of configs) {
      if (flat && label === 'falaj (best-fit, reservation, preemption)') continue; // nothing is preemptible at one priority
      const sums = [0, 0, 0, 0, 0, 0, 0];
      for (const v of VARIANTS) {
        const nodes = thin(allNodes, v.everyNth, v.offset);
        const scaled = jobs.map((j) => ({ ...j, arrival: j.arrival / v.compress }));
        const result = simulate(nodes, scaled, make(), { tick });
        const waits = scaled.map((j) => result.record.get(j.id).end - j.arrival - j.duration);
        const sorted = [...waits].sort((a, b) => a - b);
        const pick = (pred) => waits.filter((_, i) => pred(scaled[i]));
        const big = pick((j) => j.gpus >= 4);
        const prod = pick((j) => j.priority >= 200);
        const row = [mean(waits), sorted[Math.floor(0.99 * sorted.length)], sorted.at(-1), mean(big), Math.max(...big), prod.length ? mean(prod) : NaN, result.preemptions];
        row.forEach((x, i) => (sums[i] += x / VARIANTS.length));
      }
      rows.push([label, ...sums.slice(0, 6), String(Math.round(sums[6]))]);
    }
    printTable(
      `mean over ${VARIANTS.length} loaded variants, ${flat ? 'every pod at one priority, nothing preemptible' : 'priorities from QoS, BE preemptible'}`,
      ['policy', 'mean wait s', 'p99 wait s', 'max wait s', '≥4 GPUs mean', '≥4 GPUs max', 'LS+Guaranteed mean', 'preempted'],
      rows,
    );
  }
}

function thin(nodes, n, offset) {
  const seen = new Map();
  return nodes.filter((node) => {
    const i = seen.get(node.model) ?? 0;
    seen.set(node.model, i + 1);
    return i % n === offset;
  });
}

const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
