// A discrete-event simulation of the trace through one scheduling policy: simulated time,
// no processes. When a job arrives or ends, the policy is asked for a decision over the
// whole state, as the job service's scheduling loop asks it: at once if the loop last ran
// at least `tick` seconds ago, else when it next runs (so a burst of events makes one
// decision per tick, not one per event). Admissions hold their node's resources for the
// job's recorded duration; preemption victims stop at once and go back to the queue to
// start over (no checkpoint: their work is lost), and the policy is asked again at once.

class MinHeap {
  items = [];
  get size() {
    return this.items.length;
  }
  peek() {
    return this.items[0];
  }
  push(item) {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
const before = (x, y) => x.at < y.at || (x.at === y.at && x.seq < y.seq);

/** Pools (one per GPU model, largest first: the queue tries flavors in this order) and the one queue. */
export function buildCluster(nodes) {
  const byModel = new Map();
  for (const n of nodes) {
    if (!byModel.has(n.model)) byModel.set(n.model, []);
    byModel.get(n.model).push(n);
  }
  const pools = [...byModel.entries()]
    .map(([model, list]) => ({
      name: `gpu-${model}`,
      executor: 'kubernetes',
      flavor: { name: model, gpuModel: model, capacity: 'on-demand' },
      costPerHour: 0,
      nodes: list.map((n) => ({ name: n.name, capacity: { cpuMilli: n.cpuMilli, memoryMiB: n.memoryMiB, gpus: n.gpus }, usedCpuMilli: 0, usedMemoryMiB: 0, gpuUsedMilli: new Array(n.gpus).fill(0) })),
    }))
    .sort((a, b) => totalGpus(b) - totalGpus(a) || (a.name < b.name ? -1 : 1));
  const queue = {
    name: 'trace',
    project: 'trace',
    flavors: pools.map((p) => ({
      flavor: p.flavor.name,
      nominal: p.nodes.reduce((s, n) => ({ cpuMilli: s.cpuMilli + n.capacity.cpuMilli, memoryMiB: s.memoryMiB + n.capacity.memoryMiB, gpus: s.gpus + n.capacity.gpus }), { cpuMilli: 0, memoryMiB: 0, gpus: 0 }),
    })),
  };
  return { pools, queues: [queue] };
}

const totalGpus = (pool) => pool.nodes.reduce((s, n) => s + n.capacity.gpus, 0);

/**
 * Runs `jobs` (arrival and duration in seconds) through `policy`. Returns per-job records
 * and cluster totals; throws if the policy ever over-commits a node.
 */
export function simulate(nodes, jobs, policy, { tick = 10 } = {}) {
  const { pools, queues } = buildCluster(nodes);
  const nodeByKey = new Map();
  for (const p of pools) for (const n of p.nodes) nodeByKey.set(`${p.name}/${n.name}`, n);
  const capacityMilli = pools.reduce((s, p) => s + totalGpus(p) * 1000, 0);
  const jobById = new Map(jobs.map((j) => [j.id, j]));
  const record = new Map(jobs.map((j) => [j.id, { firstStart: null, startedAt: null, end: null, attempts: 0, preempted: 0 }]));

  const pending = [];
  const running = []; // RunningWorkload[], swap-removed
  const runningAt = new Map(); // id → index in running
  const completions = new MinHeap();
  let seq = 0;
  let arrivalIndex = 0;
  let now = 0;
  let usedMilli = 0; // GPU thousandths held right now
  let usedIntegral = 0; // GPU-milli-seconds held
  let contendedTime = 0; // seconds with at least one job waiting
  let contendedIntegral = 0; // GPU-milli-seconds held while a job was waiting
  let lostMilliSeconds = 0; // held by attempts that were preempted
  let preemptions = 0;
  let decisions = 0;
  let lastEnd = 0;
  let lastDecision = -Infinity;
  let changed = false; // an arrival or an end since the last decision

  const toPending = (job) => ({
    id: job.id,
    queue: 'trace',
    priority: job.priority,
    submittedAt: job.arrival * 1000,
    resources: { cpuMilli: job.cpuMilli, memoryMiB: job.memoryMiB, gpus: job.gpus, gpuMilli: job.gpus > 0 ? job.gpuMilli : undefined, gpuModel: job.gpuModel },
    // The trace's cluster has no CPU-only nodes: CPU pods ran beside GPU jobs on GPU nodes,
    // so they are submitted as tier `gpu` asking for 0 GPUs (CPU and memory only).
    tier: 'gpu',
    capacity: 'any',
  });

  const release = (workload) => {
    const node = nodeByKey.get(`${workload.pool}/${workload.node}`);
    node.usedCpuMilli -= workload.cpuMilli;
    node.usedMemoryMiB -= workload.memoryMiB;
    for (const i of workload.gpuIndices) node.gpuUsedMilli[i] -= workload.gpuMilli;
    usedMilli -= workload.gpuIndices.length * workload.gpuMilli;
    const i = runningAt.get(workload.id);
    const last = running.pop();
    if (last !== workload) {
      running[i] = last;
      runningAt.set(last.id, i);
    }
    runningAt.delete(workload.id);
  };

  const admit = (a) => {
    const node = nodeByKey.get(`${a.pool}/${a.node}`);
    node.usedCpuMilli += a.cpuMilli;
    node.usedMemoryMiB += a.memoryMiB;
    for (const i of a.gpuIndices) node.gpuUsedMilli[i] += a.gpuMilli;
    if (node.usedCpuMilli > node.capacity.cpuMilli || node.usedMemoryMiB > node.capacity.memoryMiB || a.gpuIndices.some((i) => node.gpuUsedMilli[i] > 1000 || i >= node.capacity.gpus)) {
      throw new Error(`policy over-committed node ${a.node} admitting ${a.jobId}`);
    }
    const job = jobById.get(a.jobId);
    if (a.gpuIndices.length !== job.gpus) throw new Error(`policy gave ${a.jobId} ${a.gpuIndices.length} GPUs, it asked for ${job.gpus}`);
    const workload = { id: job.id, queue: 'trace', priority: job.priority, admittedAt: now * 1000, pool: a.pool, flavor: a.flavor, node: a.node, cpuMilli: a.cpuMilli, memoryMiB: a.memoryMiB, gpuIndices: a.gpuIndices, gpuMilli: a.gpuMilli, preemptible: job.preemptible };
    runningAt.set(job.id, running.length);
    running.push(workload);
    usedMilli += a.gpuIndices.length * a.gpuMilli;
    const rec = record.get(job.id);
    rec.attempts++;
    rec.firstStart ??= now;
    rec.startedAt = now;
    completions.push({ at: now + job.duration, seq: seq++, id: job.id, attempt: rec.attempts });
  };

  const schedule = () => {
    for (let round = 0; round < 8 && pending.length > 0; round++) {
      decisions++;
      const decision = policy({ now: now * 1000, pools, queues, running, pending });
      const admitted = new Set();
      for (const a of decision.admissions) {
        admit(a);
        admitted.add(a.jobId);
      }
      if (admitted.size > 0) {
        let w = 0;
        for (const p of pending) if (!admitted.has(p.id)) pending[w++] = p;
        pending.length = w;
      }
      const victims = new Set(decision.preemptions.map((p) => p.jobId));
      for (const id of victims) {
        const workload = running[runningAt.get(id)];
        if (!workload) continue;
        const rec = record.get(id);
        lostMilliSeconds += workload.gpuIndices.length * workload.gpuMilli * (now - rec.startedAt);
        release(workload);
        rec.preempted++;
        preemptions++;
        pending.push(toPending(jobById.get(id)));
      }
      if (victims.size === 0) break;
    }
  };

  while (arrivalIndex < jobs.length || completions.size > 0 || (changed && pending.length > 0)) {
    const nextArrival = arrivalIndex < jobs.length ? jobs[arrivalIndex].arrival : Infinity;
    const nextEnd = completions.size > 0 ? completions.peek().at : Infinity;
    const nextDecision = changed && pending.length > 0 ? lastDecision + tick : Infinity;
    const t = Math.max(now, Math.min(nextArrival, nextEnd, nextDecision));
    usedIntegral += usedMilli * (t - now);
    if (pending.length > 0) {
      contendedTime += t - now;
      contendedIntegral += usedMilli * (t - now);
    }
    now = t;
    while (completions.size > 0 && completions.peek().at <= now) {
      const done = completions.pop();
      const rec = record.get(done.id);
      if (done.attempt !== rec.attempts || !runningAt.has(done.id)) continue; // a preempted attempt
      release(running[runningAt.get(done.id)]);
      rec.end = now;
      lastEnd = Math.max(lastEnd, now);
      changed = true;
    }
    while (arrivalIndex < jobs.length && jobs[arrivalIndex].arrival <= now) {
      pending.push(toPending(jobs[arrivalIndex++]));
      changed = true;
    }
    if (changed && pending.length > 0 && now >= lastDecision + tick) {
      schedule();
      lastDecision = now;
      changed = false;
    }
  }

  return { record, pending: pending.length, capacityMilli, usedIntegral, contendedTime, contendedIntegral, lostMilliSeconds, preemptions, decisions, lastEnd };
}
