import { NotFoundError, UnavailableError } from '../../core/errors/index.js';
import type { ModelAliases } from '../../registry/index.js';
import { DynamicBatcher } from '../batching/index.js';
import type { BatchingOptions, InferFn } from '../contracts.js';
import { BATCHING_DEFAULTS, type DeploymentRoute } from '../deployments/deployment.schema.js';
import type { DeploymentService } from '../deployments/deployment.service.js';
import type { Deployment } from '../deployments/deployment-types.js';
import { mirrorRoutes, trafficSplit, type WeightedRoute } from '../deployments/traffic.js';
import { ServedModels } from './served-models.js';

/** A route resolved to the version it serves now (an alias followed to its target). */
export interface ResolvedRoute {
  route: DeploymentRoute;
  model: string;
  version: number;
}

/** A deployment as this replica serves it. */
export interface LiveDeployment {
  deployment: Deployment;
  split: WeightedRoute[];
  mirrors: DeploymentRoute[];
  /** by route name */
  routes: Map<string, ResolvedRoute>;
  batching: BatchingOptions | null;
  /** by route name: runs the route's model, through this deployment's own batcher when batching is on */
  infer: Map<string, InferFn>;
  /** every route's model is loaded */
  ready: boolean;
  /** why it is not ready */
  error: string | null;
}

export interface LiveDeploymentsOptions {
  /** ms between polls of the metadata database for changes */
  refreshMs: number;
  /** inference worker threads: a batcher keeps this many batches in flight */
  workers: number;
  /** a version no deployment routes to is unloaded after this long unused */
  idleUnloadMs: number;
  onError?: (err: unknown) => void;
}

/**
 * The deployments this replica serves, kept in step with the metadata database: every
 * `refreshMs` it reads each deployment's revision and its aliases' targets, reloads what
 * moved, loads the versions new routes need (before switching traffic to them), and
 * unloads versions nothing routes to. Changes made through this replica apply at once
 * (`poke`); other replicas' changes within one poll, with no restart.
 */
export class LiveDeployments {
  private live = new Map<string, LiveDeployment>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private loadedOnce = false;

  constructor(
    private readonly service: DeploymentService,
    private readonly aliases: ModelAliases,
    private readonly models: ServedModels,
    private readonly options: LiveDeploymentsOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.refresh().catch((err) => this.options.onError?.(err));
      this.timer = setTimeout(tick, this.options.refreshMs);
      this.timer.unref();
    };
    tick();
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Reloads now (after a change made through this replica). */
  poke(): void {
    this.refresh().catch((err) => this.options.onError?.(err));
  }

  /** True once the first load finished: every deployment found at start is loaded or failed. */
  get initialized(): boolean {
    return this.loadedOnce;
  }

  get(project: string, name: string): LiveDeployment {
    const found = this.live.get(`${project}/${name}`);
    if (!found) throw new NotFoundError('FALAJ_DEPLOYMENT_NOT_FOUND', `deployment ${name} not found in project ${project}`);
    if (!found.ready) throw new UnavailableError('FALAJ_DEPLOYMENT_NOT_READY', `deployment ${name} is not ready: ${found.error ?? 'its models are loading'}`);
    return found;
  }

  /** Without the readiness check (metadata, readiness endpoints). */
  find(project: string, name: string): LiveDeployment | undefined {
    return this.live.get(`${project}/${name}`);
  }

  list(): LiveDeployment[] {
    return [...this.live.values()];
  }

  /** One pass; concurrent calls share the pass in progress and run once more after it. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async pass(): Promise<void> {
    const deployments = await this.service.list();
    const next = new Map<string, LiveDeployment>();
    for (const d of deployments) {
      const id = `${d.project}/${d.name}`;
      const before = this.live.get(id);
      const resolved = await this.resolve(d).catch((err: Error) => err);
      if (resolved instanceof Error) {
        next.set(id, before && before.deployment.revision === d.revision ? before : failed(d, resolved.message));
        continue;
      }
      if (before && before.ready && before.deployment.revision === d.revision && sameTargets(before.routes, resolved)) {
        next.set(id, before);
        continue;
      }
      const batching = batchingOf(d);
      try {
        const served = await Promise.all([...resolved.values()].map(async (r) => [r.route.name, await this.models.ensure(d.project, r.model, r.version)] as const));
        // a batcher per deployment and route: two deployments of one version keep their own settings
        const infer = new Map(served.map(([route, m]) => [route, batching ? batchedInfer(m.infer, batching, this.options.workers) : m.infer]));
        next.set(id, { deployment: d, split: trafficSplit(d.spec, d.status), mirrors: mirrorRoutes(d.spec), routes: resolved, batching, infer, ready: true, error: null });
      } catch (err) {
        // keep serving what was serving until the new versions load
        next.set(id, before?.ready ? before : { ...failed(d, (err as Error).message), routes: resolved });
        this.options.onError?.(err);
      }
    }
    this.live = next;
    this.loadedOnce = true;
    const keep = new Set<string>();
    for (const l of next.values()) for (const r of l.routes.values()) keep.add(ServedModels.key(l.deployment.project, r.model, r.version));
    await this.models.retain(keep, this.options.idleUnloadMs);
  }

  private async resolve(d: Deployment): Promise<Map<string, ResolvedRoute>> {
    const out = new Map<string, ResolvedRoute>();
    for (const route of d.spec.routes) {
      const model = route.model ?? d.spec.model;
      const version = route.version ?? (await this.aliases.getAlias(d.project, model, route.alias!)).version;
      out.set(route.name, { route, model, version });
    }
    return out;
  }
}

function failed(d: Deployment, error: string): LiveDeployment {
  return { deployment: d, split: trafficSplit(d.spec, d.status), mirrors: mirrorRoutes(d.spec), routes: new Map(), batching: null, infer: new Map(), ready: false, error };
}

function batchedInfer(run: InferFn, batching: BatchingOptions, workers: number): InferFn {
  const batcher = new DynamicBatcher(run, { maxInFlight: workers, ...batching });
  return (feeds) => batcher.infer(feeds);
}

function sameTargets(a: Map<string, ResolvedRoute>, b: Map<string, ResolvedRoute>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, r] of a) {
    const other = b.get(name);
    if (!other || other.model !== r.model || other.version !== r.version) return false;
  }
  return true;
}

function batchingOf(d: Deployment): BatchingOptions | null {
  if (d.spec.batching === false) return null;
  return { maxBatchSize: d.spec.batching?.maxBatchSize ?? BATCHING_DEFAULTS.maxBatchSize, maxQueueDelayMicros: d.spec.batching?.maxQueueDelayMicros ?? BATCHING_DEFAULTS.maxQueueDelayMicros };
}
