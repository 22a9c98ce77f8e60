/**
 * The contracts shared by the training domain's parts: the scheduler core (pure admission
 * decisions), the executors (local child processes, Kubernetes Jobs) and the job service
 * that drives them. Anchors: Kueue (ClusterQueue, ResourceFlavor, cohorts, borrowing,
 * preemption), the Kubeflow Training Operator, Kubernetes Jobs.
 */

/** An amount of compute. CPU in millicores, memory in MiB, GPUs as a count of devices. */
export interface Resources {
  cpuMilli: number;
  memoryMiB: number;
  gpus: number;
}

export type CapacityType = 'on-demand' | 'spot';
export type ExecutorKind = 'local' | 'kubernetes';

/** Kueue's ResourceFlavor: a kind of node (GPU model or none, on-demand or spot). */
export interface Flavor {
  name: string;
  /** e.g. `A100`, `T4`; null for CPU-only nodes */
  gpuModel: string | null;
  capacity: CapacityType;
}

/**
 * One machine of a pool, as the scheduler sees it. GPUs are shareable in thousandths
 * (`gpuMilli`), as in the Alibaba cluster trace; a whole-GPU job takes 1000 of each device
 * it is given.
 */
export interface NodeState {
  name: string;
  capacity: Resources;
  /** used CPU / memory on this node */
  usedCpuMilli: number;
  usedMemoryMiB: number;
  /** per GPU device: thousandths in use (0..1000); length = capacity.gpus */
  gpuUsedMilli: number[];
}

/** A compute pool: nodes of one flavor behind one executor, with a price. */
export interface PoolState {
  name: string;
  executor: ExecutorKind;
  flavor: Flavor;
  /** cost of the whole pool's capacity per hour (currency units); a job pays its share */
  costPerHour: number;
  nodes: NodeState[];
}

/** A queue's quota for one flavor. */
export interface FlavorQuota {
  flavor: string;
  /** guaranteed (nominal) quota */
  nominal: Resources;
  /** how much more it may borrow from its cohort's unused nominal quota; undefined = unlimited */
  borrowingLimit?: Resources | undefined;
}

/** Kueue's ClusterQueue, scoped to a project. Flavors are tried in this order. */
export interface QueueState {
  name: string;
  project: string;
  cohort?: string | undefined;
  flavors: FlavorQuota[];
}

export type TierPreference = 'gpu' | 'cpu' | 'auto';
export type CapacityPreference = 'on-demand' | 'spot' | 'any';

/** What a job asks for, per attempt. */
export interface ResourceRequest {
  cpuMilli: number;
  memoryMiB: number;
  /** GPU devices; 0 for CPU-only */
  gpus: number;
  /** share of each GPU, 1..1000 (default 1000) */
  gpuMilli?: number | undefined;
  /** restrict to a GPU model */
  gpuModel?: string | undefined;
}

/** A job waiting for admission. */
export interface PendingWorkload {
  id: string;
  queue: string;
  priority: number;
  /** ms since epoch; ties in priority are broken by this, then by id */
  submittedAt: number;
  resources: ResourceRequest;
  /** when the job runs on a CPU flavor (tier `cpu`, or `auto` falling back), what it needs there */
  cpuFallback?: { cpuMilli: number; memoryMiB: number } | undefined;
  tier: TierPreference;
  capacity: CapacityPreference;
  /** for tier `auto`: ms since epoch after which CPU is acceptable */
  autoCpuAfter?: number | undefined;
}

/** A job holding capacity. */
export interface RunningWorkload {
  id: string;
  queue: string;
  priority: number;
  admittedAt: number;
  pool: string;
  flavor: string;
  node: string;
  /** what it holds on that node */
  cpuMilli: number;
  memoryMiB: number;
  gpuIndices: number[];
  gpuMilli: number;
  /** on a spot flavor: may be preempted for a higher-priority job */
  preemptible: boolean;
}

export interface Admission {
  jobId: string;
  pool: string;
  flavor: string;
  node: string;
  cpuMilli: number;
  memoryMiB: number;
  gpuIndices: number[];
  gpuMilli: number;
  /** true when the queue went over its nominal quota (borrowed from its cohort) */
  borrowed: boolean;
}

export interface Preemption {
  /** the running job to stop (its attempt is preempted: not a failure, retried) */
  jobId: string;
  /** the pending job it makes room for */
  forJobId: string;
  reason: string;
}

export interface SchedulingState {
  now: number;
  pools: PoolState[];
  queues: QueueState[];
  running: RunningWorkload[];
  pending: PendingWorkload[];
}

export interface SchedulingDecision {
  admissions: Admission[];
  preemptions: Preemption[];
  /** per pending job not admitted: why (shown by `falaj jobs show`) */
  waiting: Record<string, string>;
}

/** A scheduling policy: pure, deterministic, no I/O. */
export type SchedulingPolicy = (state: SchedulingState) => SchedulingDecision;

// ---------------------------------------------------------------------------------------
// Executors

/** Everything an executor needs to start one attempt of a job. */
export interface AttemptLaunch {
  jobId: string;
  jobName: string;
  project: string;
  attempt: number;
  /** argv; argv[0] is the program */
  command: string[];
  /** the job's environment plus FALAJ_* variables, CUDA_VISIBLE_DEVICES and thread counts */
  env: Record<string, string>;
  /** container image (Kubernetes only) */
  image?: string | undefined;
  admission: Admission;
  pool: PoolState;
  /** ms; 0 = none */
  timeoutMs: number;
  /** ms between SIGTERM and SIGKILL */
  gracePeriodMs: number;
  /** local: a directory for the attempt (logs, outputs) */
  workDir: string;
  checkpointDir: string;
  outputDir: string;
}

export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'failed'; exitCode: number | null; signal: string | null; message: string }
  | { kind: 'timed-out'; message: string }
  | { kind: 'cancelled'; message: string }
  /** disruption: spot reclaim, eviction, preemption by the scheduler; does not spend retries */
  | { kind: 'preempted'; message: string }
  /** the process or pod vanished (platform restart, node loss); does not spend retries */
  | { kind: 'lost'; message: string };

export interface Executor {
  readonly kind: ExecutorKind;
  /** starts the attempt; resolves with the handle once it is running (pid, Job name) */
  start(launch: AttemptLaunch, onExit: (outcome: AttemptOutcome) => void): Promise<{ externalId: string }>;
  /** SIGTERM (or delete with grace), then SIGKILL after the grace period */
  stop(externalId: string, reason: 'cancelled' | 'preempted' | 'timed-out'): Promise<void>;
  /** after a platform restart: is this attempt still running somewhere? */
  isAlive(externalId: string): Promise<boolean>;
}
