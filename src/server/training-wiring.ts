import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { FalajConfig } from '../core/config/index.js';
import type { DatasetService } from '../features/index.js';
import type { ArtifactStore, ModelRegistry } from '../registry/index.js';
import { SYSTEM_PRINCIPAL, type AuditLog, type ProjectService, type TokenService } from '../security/index.js';
import type { Db } from '../storage/metadata/index.js';
import type { TrackingService } from '../tracking/index.js';
import { detectGpus, localPoolSpec, LocalExecutor, TrainingRunner, TrainingService, type Executor, type ExecutorKind, type JobView } from '../training/index.js';
import type { TrainingRunnerOptions } from '../training/jobs/training-runner.js';
import { falajPolicy } from '../training/scheduler/index.js';

export interface Training {
  service: TrainingService;
  /** the scheduling loop; undefined when `training.scheduler` is false (an API-only replica) */
  runner: TrainingRunner | undefined;
  /** where jobs reach the API; the server sets it once it listens */
  endpoint: { url: string };
  /** the Kubernetes manifest a job would get on a pool (`falaj jobs render`) */
  render(job: JobView, pool: string): Promise<unknown>;
}

export interface TrainingDeps {
  db: Kysely<Db>;
  audit: AuditLog;
  projects: ProjectService;
  tracking: TrackingService;
  artifacts: ArtifactStore;
  datasets: DatasetService;
  models: ModelRegistry;
  tokens: TokenService;
  clock: Clock;
  onJobEnd?: TrainingRunnerOptions['onJobEnd'];
}

/**
 * The training domain's part of the composition root: the service, this machine as the
 * `local` pool (cores, memory, GPUs from `nvidia-smi -L`), the executors and the loop.
 * The Kubernetes client loads only when a kubeconfig is configured.
 */
export async function buildTraining(config: FalajConfig, deps: TrainingDeps): Promise<Training> {
  let runner: TrainingRunner | undefined;
  const service = new TrainingService(deps.db, deps.audit, deps.projects, deps.tracking, { clock: deps.clock, onChange: () => runner?.poke() });
  const t = config.training;
  if (t.localPool) {
    const spec = localPoolSpec({ name: t.localPoolName, cpus: t.localCpus, memoryMiB: t.localMemoryMiB, costPerHour: t.localCostPerHour, gpus: await detectGpus() });
    await service.applyPool({ principal: SYSTEM_PRINCIPAL, requestId: 'startup' }, spec);
  }
  const endpoint = { url: t.trackingUri ?? `${config.server.tlsCert ? 'https' : 'http'}://127.0.0.1:${config.server.port}` };
  const executors: Partial<Record<ExecutorKind, Executor>> = { local: new LocalExecutor() };
  if (t.kubeconfig) {
    const { KubernetesExecutor } = await import('../training/executors/kubernetes/index.js');
    executors.kubernetes = new KubernetesExecutor({ kubeconfigPath: t.kubeconfig, ...(t.kubeContext ? { context: t.kubeContext } : {}), poolOptions: kubernetesPoolOptions(service) });
  }
  if (t.scheduler) {
    runner = new TrainingRunner({
      ...deps,
      service,
      policy: falajPolicy(),
      executors,
      dataDir: config.dataDir,
      trackingUri: () => endpoint.url,
      intervalMs: t.intervalMs,
    });
  }
  return {
    service,
    runner,
    endpoint,
    async render(job, poolName) {
      const { renderJobPreview } = await import('../training/executors/kubernetes/preview.js');
      const pool = await service.getPool(poolName);
      return renderJobPreview(job, pool, config.dataDir);
    },
  };
}

function kubernetesPoolOptions(service: TrainingService) {
  return async (poolName: string) => (await service.getPool(poolName)).spec.kubernetes ?? {};
}
