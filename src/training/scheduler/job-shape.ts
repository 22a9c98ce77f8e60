import type { PendingWorkload } from '../contracts.js';

interface Remembered {
  key: string;
  queue: string;
  tier: string;
  capacity: string;
  cpuMilli: number;
  memoryMiB: number;
  gpus: number;
  gpuMilli: number | undefined;
  gpuModel: string | undefined;
  fallbackCpu: number | undefined;
  fallbackMemory: number | undefined;
}

/**
 * A job's shape: everything that decides where it may go and what it needs there, so that
 * jobs of one shape can share one answer within a round (a few thousand pending jobs are
 * typically a few hundred shapes). Keys are remembered per job object, and checked against
 * the job's fields each time, so a caller that edits a job in place still gets a right key.
 * Owned by one policy instance; holds nothing that outlives the jobs it has seen.
 */
export class JobShapes {
  private readonly known = new WeakMap<PendingWorkload, Remembered>();

  keyOf(job: PendingWorkload): string {
    const r = job.resources;
    const seen = this.known.get(job);
    if (
      seen !== undefined &&
      seen.queue === job.queue &&
      seen.tier === job.tier &&
      seen.capacity === job.capacity &&
      seen.cpuMilli === r.cpuMilli &&
      seen.memoryMiB === r.memoryMiB &&
      seen.gpus === r.gpus &&
      seen.gpuMilli === r.gpuMilli &&
      seen.gpuModel === r.gpuModel &&
      seen.fallbackCpu === job.cpuFallback?.cpuMilli &&
      seen.fallbackMemory === job.cpuFallback?.memoryMiB
    ) {
      return seen.key;
    }
    const fields = [job.queue, job.tier, job.capacity, r.cpuMilli, r.memoryMiB, r.gpus, r.gpuMilli ?? '', r.gpuModel ?? '', job.cpuFallback?.cpuMilli ?? '', job.cpuFallback?.memoryMiB ?? ''];
    const key = fields.join('\u0000');
    this.known.set(job, {
      key,
      queue: job.queue,
      tier: job.tier,
      capacity: job.capacity,
      cpuMilli: r.cpuMilli,
      memoryMiB: r.memoryMiB,
      gpus: r.gpus,
      gpuMilli: r.gpuMilli,
      gpuModel: r.gpuModel,
      fallbackCpu: job.cpuFallback?.cpuMilli,
      fallbackMemory: job.cpuFallback?.memoryMiB,
    });
    return key;
  }
}
