import { InputError } from '../../core/errors/index.js';
import { parseDuration } from '../../core/duration.js';
import type { CapacityPreference, Flavor, FlavorQuota, NodeState, PoolState, Resources, ResourceRequest, TierPreference } from '../contracts.js';
import { parseCpuMilli, parseMemoryMiB } from './quantities.js';
import type { ComputePoolSpec, QueueSpec, ResourceAmountSpec, TrainingJobSpec } from './spec.schema.js';

/** The default flavor name of a pool: `<gpu model or cpu>-<capacity>`, lower case. */
export function flavorName(spec: ComputePoolSpec): string {
  if (spec.flavor.name) return spec.flavor.name;
  const model = spec.flavor.gpuModel ? spec.flavor.gpuModel.toLowerCase().replace(/[^a-z0-9-]/g, '-') : 'cpu';
  return `${model}-${spec.flavor.capacity ?? 'on-demand'}`;
}

export function flavorOf(spec: ComputePoolSpec): Flavor {
  return { name: flavorName(spec), gpuModel: spec.flavor.gpuModel ?? null, capacity: spec.flavor.capacity ?? 'on-demand' };
}

function resources(amount: { cpu?: number | string | undefined; memory?: number | string | undefined; gpus?: number | undefined }): Resources {
  return {
    cpuMilli: amount.cpu === undefined ? 0 : parseCpuMilli(amount.cpu),
    memoryMiB: amount.memory === undefined ? 0 : parseMemoryMiB(amount.memory),
    gpus: amount.gpus ?? 0,
  };
}

/** A quota or limit: a resource left out is unlimited for a limit, zero for a nominal quota. */
function quotaResources(amount: ResourceAmountSpec, missing: number): Resources {
  return {
    cpuMilli: amount.cpu === undefined ? missing : parseCpuMilli(amount.cpu),
    memoryMiB: amount.memory === undefined ? missing : parseMemoryMiB(amount.memory),
    gpus: amount.gpus ?? missing,
  };
}

/** A pool as the scheduler sees it, with nothing in use. */
export function poolState(spec: ComputePoolSpec): PoolState {
  const flavor = flavorOf(spec);
  const capacity = resources(spec.capacity);
  if (flavor.gpuModel && capacity.gpus === 0) throw new InputError('FALAJ_VALIDATION_FAILED', `ComputePool/${spec.name}: a GPU flavor (${flavor.gpuModel}) needs capacity.gpus > 0`);
  if (!flavor.gpuModel && capacity.gpus > 0) throw new InputError('FALAJ_VALIDATION_FAILED', `ComputePool/${spec.name}: capacity.gpus needs flavor.gpuModel`);
  const nodeSpecs = spec.nodes ?? [{ name: spec.name, cpu: spec.capacity.cpu, memory: spec.capacity.memory, gpus: capacity.gpus }];
  const nodes: NodeState[] = nodeSpecs.map((n) => {
    const c = resources(n);
    return { name: n.name, capacity: c, usedCpuMilli: 0, usedMemoryMiB: 0, gpuUsedMilli: new Array<number>(c.gpus).fill(0) };
  });
  return { name: spec.name, executor: spec.executor, flavor, costPerHour: spec.costPerHour ?? 0, nodes };
}

/** The queue's quotas, in its flavor order. */
export function queueQuotas(spec: QueueSpec): FlavorQuota[] {
  return spec.flavors.map((f) => ({
    flavor: f.flavor,
    nominal: quotaResources(f.nominal, 0),
    ...(f.borrowingLimit ? { borrowingLimit: quotaResources(f.borrowingLimit, Number.MAX_SAFE_INTEGER) } : {}),
  }));
}

/** What a job's attempts ask of the scheduler, resolved against its queue. */
export interface JobRequirements {
  resources: ResourceRequest;
  cpuFallback: { cpuMilli: number; memoryMiB: number } | undefined;
  tier: TierPreference;
  capacity: CapacityPreference;
  gpuWaitLimitMs: number;
  priority: number;
  retries: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  timeoutMs: number;
  gracePeriodMs: number;
  checkpoint: boolean;
}

export const JOB_DEFAULTS = {
  cpu: 1,
  memory: '1Gi',
  retries: 3,
  backoffInitial: '10s',
  backoffMax: '10m',
  gracePeriod: '30s',
  gpuWaitLimit: '10m',
} as const;

export function jobRequirements(spec: TrainingJobSpec, priorityClasses: Record<string, number> = {}): JobRequirements {
  if ((spec.command === undefined) === (spec.trainer === undefined)) {
    throw new InputError('FALAJ_VALIDATION_FAILED', `TrainingJob/${spec.name}: give exactly one of command and trainer`);
  }
  const r = spec.resources ?? {};
  const gpus = r.gpus ?? 0;
  const tier: TierPreference = spec.tier ?? (gpus > 0 ? 'gpu' : 'cpu');
  if (tier !== 'cpu' && gpus === 0) throw new InputError('FALAJ_VALIDATION_FAILED', `TrainingJob/${spec.name}: tier ${tier} needs resources.gpus > 0`);
  let priority = 0;
  if (typeof spec.priority === 'number') priority = spec.priority;
  else if (typeof spec.priority === 'string') {
    const value = priorityClasses[spec.priority];
    if (value === undefined) {
      const known = Object.keys(priorityClasses);
      throw new InputError('FALAJ_VALIDATION_FAILED', `TrainingJob/${spec.name}: priority class "${spec.priority}" is not defined by its queue${known.length ? ` (known: ${known.join(', ')})` : ''}`);
    }
    priority = value;
  }
  const cpuMilli = parseCpuMilli(r.cpu ?? JOB_DEFAULTS.cpu);
  const memoryMiB = parseMemoryMiB(r.memory ?? JOB_DEFAULTS.memory);
  return {
    resources: {
      cpuMilli,
      memoryMiB,
      gpus: tier === 'cpu' ? 0 : gpus,
      ...(r.gpuShare !== undefined ? { gpuMilli: r.gpuShare } : {}),
      ...(r.gpuModel !== undefined ? { gpuModel: r.gpuModel } : {}),
    },
    cpuFallback: tier === 'gpu' ? undefined : { cpuMilli, memoryMiB },
    tier,
    capacity: spec.capacity ?? 'any',
    gpuWaitLimitMs: parseDuration(spec.gpuWaitLimit ?? JOB_DEFAULTS.gpuWaitLimit),
    priority,
    retries: spec.retries ?? JOB_DEFAULTS.retries,
    backoffInitialMs: parseDuration(spec.backoff?.initial ?? JOB_DEFAULTS.backoffInitial),
    backoffMaxMs: parseDuration(spec.backoff?.max ?? JOB_DEFAULTS.backoffMax),
    timeoutMs: parseDuration(spec.timeout ?? '0'),
    gracePeriodMs: parseDuration(spec.gracePeriod ?? JOB_DEFAULTS.gracePeriod),
    checkpoint: spec.checkpoint ?? true,
  };
}

/** Exponential backoff before retry `failures` (1 = first retry): initial × 2^(failures-1), capped. */
export function backoffMs(req: Pick<JobRequirements, 'backoffInitialMs' | 'backoffMaxMs'>, failures: number): number {
  return Math.min(req.backoffMaxMs, req.backoffInitialMs * 2 ** Math.max(0, failures - 1));
}
