import { InputError } from '../../core/errors/index.js';

const MEMORY_MIB: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, K: 1e3 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576, T: 1e12 / 1048576 };

/**
 * CPU as Kubernetes writes it: cores (`2`, `0.5`) or millicores (`500m`), to millicores.
 *
 * @example parseCpuMilli('1500m') // 1500
 */
export function parseCpuMilli(value: number | string): number {
  if (typeof value === 'number') return Math.round(value * 1000);
  const match = /^([0-9]+(?:\.[0-9]+)?)(m?)$/.exec(value.trim());
  if (!match) throw new InputError('FALAJ_VALIDATION_FAILED', `"${value}" is not a CPU amount: use cores (2, 0.5) or millicores (500m)`);
  return Math.round(match[2] === 'm' ? Number(match[1]) : Number(match[1]) * 1000);
}

/**
 * Memory as MiB (a number) or a Kubernetes quantity (`512Mi`, `4Gi`, `8G`), to MiB.
 *
 * @example parseMemoryMiB('4Gi') // 4096
 */
export function parseMemoryMiB(value: number | string): number {
  if (typeof value === 'number') return Math.round(value);
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(value.trim());
  if (!match) throw new InputError('FALAJ_VALIDATION_FAILED', `"${value}" is not a memory amount: use MiB or a quantity such as 512Mi, 4Gi`);
  return Math.ceil(Number(match[1]) * (match[2] ? MEMORY_MIB[match[2]]! : 1 / 1048576));
}

/** `1500` → `1.5`, for people. */
export function formatCores(cpuMilli: number): string {
  return String(Math.round(cpuMilli) / 1000);
}

/** `4096` → `4Gi`, `1536` → `1536Mi`. */
export function formatMemory(memoryMiB: number): string {
  return memoryMiB % 1024 === 0 && memoryMiB > 0 ? `${memoryMiB / 1024}Gi` : `${memoryMiB}Mi`;
}
