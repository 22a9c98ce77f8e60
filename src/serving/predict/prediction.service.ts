import { randomUUID } from 'node:crypto';
import { isFalajError } from '../../core/errors/index.js';
import type { OnlineFeatures } from '../../features/index.js';
import type { InferFn, PredictionRecord } from '../contracts.js';
import type { DeploymentRoute } from '../deployments/deployment.schema.js';
import type { VariantStats } from '../deployments/variant-stats.js';
import { pickRoute } from '../deployments/traffic.js';
import type { LiveDeployment, LiveDeployments } from '../live/live-deployments.js';
import type { ServedModel, ServedModels } from '../live/served-models.js';
import type { ServingMetrics } from '../serving-metrics.js';
import { featureRows, requestRows, type FeatureRow } from './feature-rows.js';
import { modelFeeds, outputRows } from './model-feeds.js';
import type { PredictRequest, PredictResponse } from './predict.schema.js';

/** Where predictions are logged (the prediction log; never blocks, never throws). */
export interface PredictionSink {
  append(record: PredictionRecord): void;
}

export interface PredictionServiceDeps {
  live: LiveDeployments;
  models: ServedModels;
  online: OnlineFeatures;
  stats: VariantStats;
  metrics: ServingMetrics;
  log: PredictionSink | undefined;
  /** mirrored calls in flight at most; more are skipped and counted */
  maxShadowInFlight: number;
}

/** What one answered call was, for the shared bookkeeping (stats, metrics, log). */
export interface CallRecord {
  live: LiveDeployment;
  route: DeploymentRoute;
  model: ServedModel;
  shadow: boolean;
  protocol: 'predict' | 'oip';
  predictionId: string;
  requestedAt: number;
  latencyMs: number;
  rows: number;
  error: unknown;
  entities: Record<string, unknown>[];
  features: PredictionRecord['features'];
  outputs: Record<string, unknown>[];
}

/**
 * The prediction API: picks the variant (sticky by entity or header), looks the
 * deployment's feature service up in the online store in one round trip, feeds the
 * model in its signature's order, answers with the variant and version, and mirrors the
 * request to shadow routes without waiting for them. Every call is counted per variant
 * (for canary analysis), measured (Prometheus) and logged (Parquet), after the answer.
 */
export class PredictionService {
  private shadowInFlight = 0;

  constructor(private readonly deps: PredictionServiceDeps) {}

  async predict(project: string, name: string, body: PredictRequest, headers: Record<string, string | string[] | undefined>): Promise<PredictResponse> {
    const started = performance.now();
    const requestedAt = Date.now();
    const live = this.deps.live.get(project, name);
    const { entities, features } = requestRows(body.entities, body.features);
    const route = this.pick(live, entities[0], headers);
    const model = this.modelOf(live, route);
    const predictionId = randomUUID();
    const record = { live, route, model, shadow: false, protocol: 'predict' as const, predictionId, requestedAt, entities, rows: entities.length };
    try {
      const spec = live.deployment.spec;
      const service = spec.featureService === null ? null : (spec.featureService ?? model.featureService?.name ?? null);
      const rows = await featureRows(this.deps.online, project, service, entities, features);
      if (live.mirrors.length) this.mirror(live, rows, { predictionId, requestedAt, entities });
      const { feeds, fed } = modelFeeds(model, rows);
      const outputs = outputRows(await live.infer.get(route.name)!(feeds), entities.length);
      const latencyMs = performance.now() - started;
      this.done({ ...record, latencyMs, error: null, features: fed, outputs });
      return { predictionId, deployment: name, variant: route.name, model: model.model, modelVersion: model.version, predictions: outputs, latencyMs: Math.round(latencyMs * 1000) / 1000 };
    } catch (err) {
      this.done({ ...record, latencyMs: performance.now() - started, error: err, features: [], outputs: [] });
      throw err;
    }
  }

  /** Picks the answering route: sticky by the deployment's entity key or header, else random. */
  pick(live: LiveDeployment, firstEntity: Record<string, unknown> | undefined, headers: Record<string, string | string[] | undefined>): DeploymentRoute {
    const sticky = live.deployment.spec.sticky;
    let value: string | undefined;
    if (sticky?.entity && firstEntity && firstEntity[sticky.entity] !== undefined && firstEntity[sticky.entity] !== null) value = String(firstEntity[sticky.entity]);
    else if (sticky?.header) {
      const h = headers[sticky.header.toLowerCase()];
      value = Array.isArray(h) ? h[0] : h;
    }
    return pickRoute(live.split, live.deployment.name, value);
  }

  modelOf(live: LiveDeployment, route: DeploymentRoute): ServedModel {
    const resolved = live.routes.get(route.name)!;
    return this.deps.models.get(live.deployment.project, resolved.model, resolved.version)!;
  }

  /** Counts, measures and logs one call (a failed one too). */
  done(call: CallRecord): void {
    const { live, route, model } = call;
    const { project, name } = live.deployment;
    const ok = call.error === null;
    const status = (call.shadow ? 'shadow_' : '') + (ok ? 'ok' : 'error');
    const labels = { deployment: name, model: model.model, version: String(model.version), variant: route.name, status };
    this.deps.metrics.predictions.inc(labels);
    this.deps.metrics.latency.observe(labels, call.latencyMs / 1000);
    if (ok) this.deps.metrics.rows.inc({ deployment: name, model: model.model, version: String(model.version), variant: route.name }, call.rows);
    if (!call.shadow) this.deps.stats.record(project, name, route.name, call.latencyMs, ok || isClientError(call.error));
    if (live.deployment.spec.logPredictions === false || !this.deps.log) return;
    this.deps.log.append({
      predictionId: call.predictionId, project, deployment: name, variant: route.name, model: model.model, modelVersion: model.version,
      requestedAt: call.requestedAt, latencyMs: call.latencyMs, status: ok ? 'ok' : 'error', error: ok ? null : codeOf(call.error),
      shadow: call.shadow, protocol: call.protocol, entities: call.entities, features: call.features, outputs: call.outputs,
    });
  }

  /** Sends a copy to every mirror, never awaited; skipped (and counted) past the in-flight cap. */
  runMirrors(live: LiveDeployment, run: (model: ServedModel, infer: InferFn) => Promise<{ features: PredictionRecord['features']; outputs: Record<string, unknown>[] }>, base: { predictionId: string; requestedAt: number; entities: Record<string, unknown>[]; rows: number; protocol: 'predict' | 'oip' }): void {
    for (const route of live.mirrors) {
      if (this.shadowInFlight >= this.deps.maxShadowInFlight) {
        this.deps.metrics.shadowSkipped.inc({ deployment: live.deployment.name, variant: route.name });
        continue;
      }
      const model = this.modelOf(live, route);
      const started = performance.now();
      this.shadowInFlight++;
      // after the primary's turn: the mirror starts once the current tick's work is done
      setImmediate(() => {
        run(model, live.infer.get(route.name)!).then(
          (r) => this.done({ ...base, live, route, model, shadow: true, latencyMs: performance.now() - started, error: null, ...r }),
          (err) => this.done({ ...base, live, route, model, shadow: true, latencyMs: performance.now() - started, error: err, features: [], outputs: [] }),
        ).finally(() => this.shadowInFlight--);
      });
    }
  }

  private mirror(live: LiveDeployment, rows: FeatureRow[], base: { predictionId: string; requestedAt: number; entities: Record<string, unknown>[] }): void {
    this.runMirrors(live, async (model, infer) => {
      const { feeds, fed } = modelFeeds(model, rows);
      return { features: fed, outputs: outputRows(await infer(feeds), rows.length) };
    }, { ...base, rows: rows.length, protocol: 'predict' });
  }
}

/** A caller's mistake (4xx) is not the variant's failure; it does not count against a canary. */
function isClientError(err: unknown): boolean {
  return isFalajError(err) && ['FALAJ_ENTITY_ROWS_INVALID', 'FALAJ_VALIDATION_FAILED'].includes(err.code);
}

function codeOf(err: unknown): string {
  return isFalajError(err) ? err.code : 'FALAJ_INTERNAL';
}
