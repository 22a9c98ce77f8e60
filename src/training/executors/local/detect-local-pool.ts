import { execFile } from 'node:child_process';
import { availableParallelism, totalmem } from 'node:os';
import type { ComputePoolSpec } from '../../definitions/spec.schema.js';

export interface LocalGpus {
  count: number;
  /** the first GPU's model, short (`A100`, `H100`, `T4`), or null */
  model: string | null;
}

/**
 * Lists the machine's NVIDIA GPUs with `nvidia-smi -L` ("GPU 0: NVIDIA H100 80GB HBM3 (UUID: …)").
 * No nvidia-smi, or an error, means no GPUs.
 */
export function detectGpus(command = 'nvidia-smi'): Promise<LocalGpus> {
  return new Promise((resolve) => {
    execFile(command, ['-L'], { timeout: 5_000 }, (error, stdout) => {
      if (error) return resolve({ count: 0, model: null });
      resolve(parseNvidiaSmiList(stdout));
    });
  });
}

export function parseNvidiaSmiList(stdout: string): LocalGpus {
  const lines = stdout.split('\n').filter((l) => /^GPU \d+:/.test(l));
  const first = lines[0]?.replace(/^GPU \d+:\s*/, '').replace(/\s*\(UUID:.*$/, '') ?? '';
  // "NVIDIA H100 80GB HBM3" → "H100"; "Tesla T4" → "T4"; "NVIDIA GeForce RTX 4090" → "RTX-4090"
  const words = first.replace(/^(NVIDIA|Tesla|GeForce|Quadro)\s+/gi, '').replace(/^(GeForce|Tesla)\s+/i, '').split(/\s+/).filter(Boolean);
  const model = words.length === 0 ? null : /^(RTX|GTX)$/i.test(words[0]!) && words[1] ? `${words[0]}-${words[1]}` : words[0]!;
  return { count: lines.length, model: model?.replace(/[^A-Za-z0-9_.-]/g, '-') ?? null };
}

export interface LocalPoolOptions {
  name: string;
  /** cores to offer (default: all) */
  cpus?: number | undefined;
  /** MiB to offer (default: 80 % of the machine's memory) */
  memoryMiB?: number | undefined;
  costPerHour?: number | undefined;
  gpus?: LocalGpus | undefined;
}

/** The local pool as a ComputePool object: this machine's cores, memory and GPUs, on demand. */
export function localPoolSpec(options: LocalPoolOptions): ComputePoolSpec {
  const gpus = options.gpus ?? { count: 0, model: null };
  const cpus = options.cpus ?? availableParallelism();
  const memoryMiB = options.memoryMiB ?? Math.floor((totalmem() / 1048576) * 0.8);
  return {
    kind: 'ComputePool',
    name: options.name,
    description: 'this machine, detected at start',
    executor: 'local',
    flavor: { name: `local-${gpus.model ? gpus.model.toLowerCase().replace(/[^a-z0-9-]/g, '-') : 'cpu'}`, gpuModel: gpus.count > 0 ? gpus.model : null, capacity: 'on-demand' },
    capacity: { cpu: cpus, memory: memoryMiB, ...(gpus.count > 0 ? { gpus: gpus.count } : {}) },
    costPerHour: options.costPerHour ?? 0,
  };
}
