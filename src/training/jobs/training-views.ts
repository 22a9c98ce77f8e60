import type { ComputePoolSpec, QueueSpec, TrainingJobSpec } from '../definitions/spec.schema.js';
import { poolState, queueQuotas } from '../definitions/resolve.js';
import type { Flavor, Resources } from '../contracts.js';
import type { ComputePoolTable, TrainingAttemptTable, TrainingJobTable, TrainingQueueTable } from './training.table.js';

/** What the API answers about pools, queues, jobs and attempts. */
export interface PoolView {
  name: string;
  executor: string;
  flavor: Flavor;
  capacity: Resources;
  nodes: number;
  costPerHour: number;
  /** held by running attempts now */
  used: Resources;
  version: number;
  updatedAt: string;
  spec: ComputePoolSpec;
}

export interface QueueFlavorView {
  flavor: string;
  nominal: Resources;
  borrowingLimit: Resources | null;
  used: Resources;
}

export interface QueueView {
  project: string;
  name: string;
  cohort: string | null;
  flavors: QueueFlavorView[];
  priorityClasses: Record<string, number>;
  pending: number;
  running: number;
  /** ended attempts' cost plus running attempts' cost so far */
  cost: number;
  version: number;
  spec: QueueSpec;
}

export interface AttemptView {
  attempt: number;
  pool: string;
  flavor: string;
  node: string;
  executor: string;
  externalId: string | null;
  cpuMilli: number;
  memoryMiB: number;
  gpuIndices: number[];
  gpuMilli: number;
  borrowed: boolean;
  state: string;
  outcome: string | null;
  exitCode: number | null;
  message: string | null;
  startedAt: string;
  endedAt: string | null;
  cost: number;
}

export interface JobView {
  id: string;
  project: string;
  name: string;
  queue: string;
  status: string;
  priority: number;
  submittedAt: string;
  runId: string;
  attempts: number;
  failures: number;
  nextAttemptAt: string | null;
  waitingReason: string | null;
  lastError: string | null;
  cost: number;
  datasetId: string | null;
  model: { name: string; version: number | null } | null;
  createdBy: string;
  updatedAt: string;
  finishedAt: string | null;
  spec: TrainingJobSpec;
  attemptList?: AttemptView[];
}

const zero = (): Resources => ({ cpuMilli: 0, memoryMiB: 0, gpus: 0 });

export function toPoolView(row: ComputePoolTable, active: readonly TrainingAttemptTable[]): PoolView {
  const spec = JSON.parse(row.spec) as ComputePoolSpec;
  const state = poolState(spec);
  const capacity = state.nodes.reduce((s, n) => ({ cpuMilli: s.cpuMilli + n.capacity.cpuMilli, memoryMiB: s.memoryMiB + n.capacity.memoryMiB, gpus: s.gpus + n.capacity.gpus }), zero());
  const used = active.filter((a) => a.pool === row.name).reduce(addAttempt, zero());
  return { name: row.name, executor: spec.executor, flavor: state.flavor, capacity, nodes: state.nodes.length, costPerHour: state.costPerHour, used, version: row.version, updatedAt: row.updated_at, spec };
}

function addAttempt(sum: Resources, a: TrainingAttemptTable): Resources {
  const gpus = (JSON.parse(a.gpu_indices) as number[]).length * (a.gpu_milli / 1000);
  return { cpuMilli: sum.cpuMilli + a.cpu_milli, memoryMiB: sum.memoryMiB + a.memory_mib, gpus: sum.gpus + gpus };
}

export function toQueueView(row: TrainingQueueTable, active: readonly TrainingAttemptTable[], counts: { pending: number; running: number }, cost: number): QueueView {
  const spec = JSON.parse(row.spec) as QueueSpec;
  const mine = active.filter((a) => a.project === row.project && a.queue === row.name);
  return {
    project: row.project,
    name: row.name,
    cohort: spec.cohort ?? null,
    flavors: queueQuotas(spec).map((q) => ({
      flavor: q.flavor,
      nominal: q.nominal,
      borrowingLimit: q.borrowingLimit ?? null,
      used: mine.filter((a) => a.flavor === q.flavor).reduce(addAttempt, zero()),
    })),
    priorityClasses: spec.priorityClasses ?? {},
    pending: counts.pending,
    running: counts.running,
    cost,
    version: row.version,
    spec,
  };
}

export function toAttemptView(a: TrainingAttemptTable): AttemptView {
  return {
    attempt: a.attempt,
    pool: a.pool,
    flavor: a.flavor,
    node: a.node,
    executor: a.executor,
    externalId: a.external_id,
    cpuMilli: a.cpu_milli,
    memoryMiB: a.memory_mib,
    gpuIndices: JSON.parse(a.gpu_indices) as number[],
    gpuMilli: a.gpu_milli,
    borrowed: a.borrowed === 1,
    state: a.state,
    outcome: a.outcome,
    exitCode: a.exit_code,
    message: a.message,
    startedAt: a.started_at,
    endedAt: a.ended_at,
    cost: a.cost,
  };
}

export function toJobView(row: TrainingJobTable, attempts?: readonly TrainingAttemptTable[]): JobView {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    queue: row.queue,
    status: row.status,
    priority: row.priority,
    submittedAt: row.submitted_at,
    runId: row.run_id,
    attempts: row.attempts,
    failures: row.failures,
    nextAttemptAt: row.next_attempt_at,
    waitingReason: row.waiting_reason,
    lastError: row.last_error,
    cost: row.cost,
    datasetId: row.dataset_id,
    model: row.model_name ? { name: row.model_name, version: row.model_version } : null,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    spec: JSON.parse(row.spec) as TrainingJobSpec,
    ...(attempts ? { attemptList: attempts.map(toAttemptView) } : {}),
  };
}
