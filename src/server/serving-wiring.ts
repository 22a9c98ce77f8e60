import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { FalajConfig } from '../core/config/index.js';
import type { FeatureRegistry, OnlineFeatures } from '../features/index.js';
import type { ModelAliases, ModelRegistry } from '../registry/index.js';
import type { AuditLog, ProjectService } from '../security/index.js';
import { DeploymentService } from '../serving/deployments/deployment.service.js';
import { RolloutController } from '../serving/deployments/rollout-controller.js';
import { VariantStats } from '../serving/deployments/variant-stats.js';
import { LiveDeployments } from '../serving/live/live-deployments.js';
import { ServedModels } from '../serving/live/served-models.js';
import { PredictionService } from '../serving/predict/prediction.service.js';
import { PredictionLog } from '../serving/prediction-log/index.js';
import { OnnxWorkerPool } from '../serving/runtime/index.js';
import { createServingMetrics } from '../serving/serving-metrics.js';
import type { Db } from '../storage/metadata/index.js';
import { LazyDuckDbEngine } from '../storage/offline/index.js';

export interface Serving {
  deployments: DeploymentService;
  controller: RolloutController;
  /** the serving part (runtime, live deployments, predictions); undefined on the api and worker roles */
  runtime: ServingRuntime | undefined;
  /** starts the loops this role runs */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface ServingRuntime {
  live: LiveDeployments;
  models: ServedModels;
  predictions: PredictionService;
  stats: VariantStats;
  log: PredictionLog | undefined;
  logDir: string;
}

export interface ServingDeps {
  db: Kysely<Db>;
  audit: AuditLog;
  projects: ProjectService;
  models: ModelRegistry;
  aliases: ModelAliases;
  features: FeatureRegistry;
  online: OnlineFeatures;
  offline: LazyDuckDbEngine;
  metrics: Registry;
  clock: Clock;
}

/**
 * The serving domain's part of the composition root. Deployments (the API) exist on
 * every role; the runtime (ONNX Runtime workers, started on first load), the live view
 * of deployments, the prediction log and per-variant counts on `all` and `serving`;
 * the rollout controller runs on `all` and `worker`.
 */
export function buildServing(config: FalajConfig, deps: ServingDeps): Serving {
  const s = config.serving;
  const role = config.server.role;
  const warn = (err: unknown) => process.emitWarning(err instanceof Error ? err : new Error(String(err)), { code: 'FALAJ_SERVING_WARNING' } as never);
  let runtime: ServingRuntime | undefined;
  const deployments = new DeploymentService(deps.db, deps.audit, deps.projects, deps.models, deps.aliases, { clock: deps.clock, features: deps.features, onChange: () => runtime?.live.poke() });
  let pool: OnnxWorkerPool | undefined;
  let stats: VariantStats | undefined;
  let logEngine: LazyDuckDbEngine | undefined;
  if (role === 'all' || role === 'serving') {
    const models = new ServedModels(() => (pool ??= new OnnxWorkerPool({ workers: s.workers, intraOpThreads: s.intraOpThreads, executionProviders: s.executionProviders })), deps.models, {
      onBatch: (m, rows) => metrics.batchRows.observe({ model: m.model, version: String(m.version) }, rows),
    });
    const metrics = createServingMetrics(deps.metrics, () => models.list());
    const live = new LiveDeployments(deployments, deps.aliases, models, { refreshMs: s.refreshMs, workers: s.workers, idleUnloadMs: s.idleUnloadMs, onError: warn });
    stats = new VariantStats(deps.db, { flushMs: s.statsFlushMs, onError: warn });
    const logDir = join(config.dataDir, 'offline');
    // The log's own DuckDB, on one thread: its Parquet writes never take more than one core
    // from serving, and on two threads DuckDB spends twice the CPU for the same wall time.
    logEngine = s.predictionLog ? new LazyDuckDbEngine({ threads: 1, memoryLimit: '512MB' }) : undefined;
    const log = logEngine
      ? new PredictionLog({ dir: logDir, spillDir: join(config.dataDir, 'serving', 'prediction-log'), engine: logEngine, flushIntervalMs: s.logFlushMs, maxBufferedRecords: s.logBufferRecords, registry: deps.metrics, onError: warn })
      : undefined;
    const predictions = new PredictionService({ live, models, online: deps.online, stats, metrics, log, maxShadowInFlight: s.maxShadowInFlight });
    runtime = { live, models, predictions, stats, log, logDir };
  }
  const controller = new RolloutController(deps.db, deployments, { intervalMs: s.rolloutIntervalMs, clock: deps.clock, flushStats: () => stats?.flush() ?? Promise.resolve(), onError: warn });
  return {
    deployments,
    controller,
    runtime,
    async start() {
      if (runtime) {
        await runtime.log?.start();
        runtime.stats.start();
        runtime.live.start();
      }
      if (role === 'all' || role === 'worker') controller.start();
    },
    async close() {
      await controller.close();
      if (runtime) {
        await runtime.live.close();
        await runtime.stats.close();
        await runtime.log?.close();
        await logEngine?.close();
      }
      await pool?.close();
    },
  };
}
