// Loads the Alibaba GPU-cluster trace (openb, 2023; "Beware of Fragmentation", ATC'23) into
// the scheduler's terms: one pool and flavor per GPU model, one queue whose quota is the
// whole cluster (so capacity, not quota, is the constraint), and a job per pod.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** QoS class → priority. LS and Guaranteed are production services, Burstable in between, BE is best effort and runs with spot semantics (preemptible). */
export const QOS_PRIORITY = { Guaranteed: 200, LS: 200, Burstable: 100, BE: 0 };

function readCsv(path) {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header.trim().split(',');
  return lines.map((line) => {
    const cells = line.trim().split(',');
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
  });
}

export function loadNodes(dir) {
  return readCsv(join(dir, 'openb_node_list_gpu_node.csv')).map((r) => ({
    name: r.sn,
    cpuMilli: Number(r.cpu_milli),
    memoryMiB: Number(r.memory_mib),
    gpus: Number(r.gpu),
    model: r.model,
  }));
}

/**
 * Pods with a valid run: scheduled, deleted after they were scheduled. Arrival is the
 * creation time, duration is deletion − scheduled (seconds). A pod still running when the
 * snapshot was taken has the snapshot's end as its deletion time: its duration is a lower
 * bound, and it is counted as censored.
 */
export function loadJobs(dir) {
  const rows = readCsv(join(dir, 'openb_pod_list_default.csv'));
  const traceEnd = Math.max(...rows.map((r) => Number(r.deletion_time)).filter(Number.isFinite));
  const skipped = { neverScheduled: 0, noValidDuration: 0 };
  let censored = 0;
  const jobs = [];
  for (const r of rows) {
    if (r.scheduled_time === '') {
      skipped.neverScheduled++;
      continue;
    }
    const scheduled = Number(r.scheduled_time);
    const deleted = Number(r.deletion_time);
    if (r.deletion_time === '' || !Number.isFinite(scheduled) || !Number.isFinite(deleted) || deleted <= scheduled) {
      skipped.noValidDuration++;
      continue;
    }
    if (deleted === traceEnd) censored++;
    const gpus = Number(r.num_gpu);
    jobs.push({
      id: r.name,
      arrival: Number(r.creation_time),
      duration: deleted - scheduled,
      recordedWait: scheduled - Number(r.creation_time),
      cpuMilli: Number(r.cpu_milli),
      memoryMiB: Number(r.memory_mib),
      gpus,
      gpuMilli: gpus > 0 ? Number(r.gpu_milli) : 0,
      gpuModel: r.gpu_spec === '' ? undefined : r.gpu_spec,
      qos: r.qos,
      priority: QOS_PRIORITY[r.qos] ?? 100,
      preemptible: r.qos === 'BE',
    });
  }
  jobs.sort((a, b) => a.arrival - b.arrival || (a.id < b.id ? -1 : 1));
  return { jobs, skipped, censored, total: rows.length, traceEnd };
}
