import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors/index.js';
import type { FeatureRegistry } from '../../features/index.js';
import type { ModelAliases, ModelRegistry } from '../../registry/index.js';
import type { AuditLog, ProjectService, RequestContext } from '../../security/index.js';
import type { Db, DbOrTx } from '../../storage/metadata/index.js';
import { checkDeploymentSpec } from './check-deployment.js';
import { CANARY_DEFAULTS, type DeploymentRoute, type DeploymentSpec } from './deployment.schema.js';
import * as repo from './deployment.repository.js';
import { type Deployment, type DeploymentStatus, withHistory } from './deployment-types.js';
import { isServableVersion } from './servable-version.js';

export interface DeploymentServiceOptions {
  clock?: Clock;
  /** called after every change, so this replica reloads at once instead of at its next poll */
  onChange?: () => void;
  /** checks the feature service exists (default: skipped) */
  features?: Pick<FeatureRegistry, 'featureService'>;
}

/** The outcome of an apply: what changed, and the deployment now. */
export interface ApplyResult {
  action: 'created' | 'updated' | 'unchanged';
  deployment: Deployment;
}

/**
 * Deployments: which model versions answer a prediction endpoint and how traffic is
 * shared (single, A/B, canary, shadow). The state lives in the metadata database, so
 * every serving replica follows it; each change bumps a revision, writes history and is
 * audited. The rollout controller moves canaries through {@link advance}.
 */
export class DeploymentService {
  private readonly clock: Clock;

  constructor(
    private readonly db: Kysely<Db>,
    private readonly audit: AuditLog,
    private readonly projects: ProjectService,
    private readonly models: ModelRegistry,
    private readonly aliases: ModelAliases,
    private readonly options: DeploymentServiceOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Creates or updates a deployment from its spec; an unchanged spec changes nothing. */
  async apply(ctx: RequestContext, project: string, spec: DeploymentSpec): Promise<ApplyResult> {
    await this.projects.get(project);
    checkDeploymentSpec(spec);
    await this.checkRoutes(project, spec);
    if (spec.featureService && this.options.features) await this.options.features.featureService(project, spec.featureService);
    const now = this.now();
    const result = await this.db.transaction().execute(async (tx): Promise<ApplyResult> => {
      const existing = await repo.findDeployment(tx, project, spec.name);
      const status = initialStatus(spec, now, ctx.principal.id, existing ? 'updated' : 'created');
      if (!existing) {
        await repo.insertDeployment(tx, {
          project, name: spec.name, spec: JSON.stringify(spec), status: JSON.stringify(status), previous_spec: null, revision: 1,
          created_at: now, created_by: ctx.principal.id, updated_at: now, updated_by: ctx.principal.id,
        });
        await this.record(tx, ctx, project, 'deployment.create', spec.name, { mode: spec.mode ?? 'single', routes: spec.routes });
        return { action: 'created', deployment: repo.toDeployment((await repo.findDeployment(tx, project, spec.name))!) };
      }
      const current = repo.toDeployment(existing);
      if (isDeepStrictEqual(current.spec, spec)) return { action: 'unchanged', deployment: current };
      await this.write(tx, current, { spec: JSON.stringify(spec), status: JSON.stringify(withPastHistory(status, current.status)), previous_spec: JSON.stringify(current.spec) }, ctx);
      await this.record(tx, ctx, project, 'deployment.update', spec.name, { mode: spec.mode ?? 'single', routes: spec.routes, previousRoutes: current.spec.routes });
      return { action: 'updated', deployment: repo.toDeployment((await repo.findDeployment(tx, project, spec.name))!) };
    });
    if (result.action !== 'unchanged') this.options.onChange?.();
    return result;
  }

  async get(project: string, name: string): Promise<Deployment> {
    const row = await repo.findDeployment(this.db, project, name);
    if (!row) throw notFound(project, name);
    return repo.toDeployment(row);
  }

  async list(project?: string): Promise<Deployment[]> {
    return (await repo.listDeployments(this.db, project)).map(repo.toDeployment);
  }

  async delete(ctx: RequestContext, project: string, name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (!(await repo.findDeployment(tx, project, name))) throw notFound(project, name);
      await repo.deleteDeployment(tx, project, name);
      await this.record(tx, ctx, project, 'deployment.delete', name, {});
    });
    this.options.onChange?.();
  }

  /**
   * Ends a rollout in favour of a variant: the canary (canary mode), the named variant
   * (A/B), or the named mirror (shadow). The deployment becomes a single route to it; the
   * spec before is kept for `rollback`.
   */
  async promote(ctx: RequestContext, project: string, name: string, variant?: string, reason = 'promoted by hand'): Promise<Deployment> {
    return this.change(ctx, project, name, (d) => {
      const mode = d.spec.mode ?? 'single';
      const target = variant ?? (mode === 'canary' ? 'canary' : undefined);
      if (!target) throw new InputError('FALAJ_DEPLOYMENT_NO_ROLLOUT', `deployment ${name} is in mode ${mode}: name the variant to promote (${d.spec.routes.map((r) => r.name).join(', ')})`);
      const route = d.spec.routes.find((r) => r.name === target);
      if (!route) throw new NotFoundError('FALAJ_DEPLOYMENT_NOT_FOUND', `deployment ${name} has no variant ${target} (it has ${d.spec.routes.map((r) => r.name).join(', ')})`);
      if (mode === 'single') throw new InputError('FALAJ_DEPLOYMENT_NO_ROLLOUT', `deployment ${name} already serves one variant`);
      const promoted: DeploymentRoute = { name: mode === 'canary' ? 'stable' : route.name, ...(route.model ? { model: route.model } : {}), ...(route.version !== undefined ? { version: route.version } : { alias: route.alias! }) };
      const rest = d.spec.routes.filter((r) => r.mirror && r.name !== target);
      const { canary: _canary, ...base } = d.spec;
      const spec: DeploymentSpec = { ...base, mode: rest.length ? 'shadow' : 'single', routes: [promoted, ...rest] };
      const status: DeploymentStatus = withHistory({ ...d.status, phase: 'promoted', rollout: null }, this.entry(ctx, 'promoted', `${target} (${describeRoute(route, d.spec.model)}) now takes all traffic: ${reason}`));
      return { spec, status, previousSpec: d.spec, action: 'deployment.promote', details: { variant: target, route, reason } };
    });
  }

  /**
   * Stops a canary (all traffic back to stable, the canary kept at 0 %) or, with no
   * rollout in progress, restores the spec before the last change.
   */
  async rollback(ctx: RequestContext, project: string, name: string, reason = 'rolled back by hand'): Promise<Deployment> {
    return this.change(ctx, project, name, (d) => {
      if (d.status.phase === 'progressing') {
        const status = withHistory({ ...d.status, phase: 'rolled-back', rollout: d.status.rollout ? { ...d.status.rollout, weight: 0 } : null }, this.entry(ctx, 'rolled-back', `canary stopped, stable takes all traffic: ${reason}`));
        return { spec: d.spec, status, previousSpec: d.previousSpec, action: 'deployment.rollback', details: { reason, from: 'canary' } };
      }
      if (!d.previousSpec) throw new ConflictError('FALAJ_DEPLOYMENT_NO_ROLLOUT', `deployment ${name} has no rollout in progress and no earlier spec to restore`);
      const restored = d.previousSpec;
      const status = withHistory({ phase: 'serving', rollout: null, history: d.status.history }, this.entry(ctx, 'rolled-back', `restored the spec before the last change (${restored.routes.map((r) => `${r.name}: ${describeRoute(r, restored.model)}`).join(', ')}): ${reason}`));
      return { spec: restored, status, previousSpec: d.spec, action: 'deployment.rollback', details: { reason, from: 'previous-spec' } };
    });
  }

  /** Moves a progressing canary to its next step, or records an analysis (the controller's write). */
  async advance(ctx: RequestContext, deployment: Deployment, status: DeploymentStatus, action: string, details: Record<string, unknown>): Promise<boolean> {
    const patch = { status: JSON.stringify(status), updated_at: this.now(), updated_by: ctx.principal.id };
    const ok = await this.db.transaction().execute(async (tx) => {
      if (!(await repo.updateDeployment(tx, deployment.project, deployment.name, deployment.revision, patch))) return false;
      if (action) await this.record(tx, ctx, deployment.project, action, deployment.name, details);
      return true;
    });
    if (ok) this.options.onChange?.();
    return ok;
  }

  /** Versions and aliases every route names must exist, be ready, signed, and carry an ONNX file. */
  private async checkRoutes(project: string, spec: DeploymentSpec): Promise<void> {
    for (const route of spec.routes) {
      const model = route.model ?? spec.model;
      const version = route.alias !== undefined ? await this.aliases.getByAlias(project, model, route.alias) : await this.models.getVersion(project, model, route.version!);
      const problem = isServableVersion(version);
      if (problem) throw new InputError('FALAJ_MODEL_NOT_SERVABLE', `route ${route.name}: ${problem}`);
    }
  }

  private async change(
    ctx: RequestContext,
    project: string,
    name: string,
    decide: (d: Deployment) => { spec: DeploymentSpec; status: DeploymentStatus; previousSpec: DeploymentSpec | null; action: string; details: Record<string, unknown> },
  ): Promise<Deployment> {
    const result = await this.db.transaction().execute(async (tx) => {
      const row = await repo.findDeployment(tx, project, name);
      if (!row) throw notFound(project, name);
      const d = repo.toDeployment(row);
      const next = decide(d);
      await this.write(tx, d, { spec: JSON.stringify(next.spec), status: JSON.stringify(next.status), previous_spec: next.previousSpec ? JSON.stringify(next.previousSpec) : null }, ctx);
      await this.record(tx, ctx, project, next.action, name, next.details);
      return repo.toDeployment((await repo.findDeployment(tx, project, name))!);
    });
    this.options.onChange?.();
    return result;
  }

  private async write(tx: DbOrTx, d: Deployment, patch: { spec: string; status: string; previous_spec: string | null }, ctx: RequestContext): Promise<void> {
    const ok = await repo.updateDeployment(tx, d.project, d.name, d.revision, { ...patch, updated_at: this.now(), updated_by: ctx.principal.id });
    if (!ok) throw new ConflictError('FALAJ_DEPLOYMENT_INVALID', `deployment ${d.name} changed while this change was made: try again`);
  }

  private entry(ctx: RequestContext, event: string, detail: string) {
    return { at: this.now(), event, detail, actor: ctx.principal.id };
  }

  private async record(tx: DbOrTx, ctx: RequestContext, project: string, action: string, name: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.append(tx, { actor: ctx.principal.id, action, resource: `deployment/${name}`, project, outcome: 'success', requestId: ctx.requestId, details });
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

/** A fresh status for a spec just applied: canaries start at their first step. */
function initialStatus(spec: DeploymentSpec, now: string, actor: string, event: 'created' | 'updated'): DeploymentStatus {
  const routes = spec.routes.map((r) => `${r.name}${r.mirror ? ' (mirror)' : ''}: ${describeRoute(r, spec.model)}`).join(', ');
  if ((spec.mode ?? 'single') === 'canary') {
    const steps = spec.canary?.steps ?? CANARY_DEFAULTS.steps;
    return {
      phase: 'progressing',
      rollout: { step: 0, weight: steps[0]!, stepStartedAt: now, lastAnalysis: null },
      history: [{ at: now, event, detail: `${routes}; canary starts at ${steps[0]} %`, actor }],
    };
  }
  return { phase: 'serving', rollout: null, history: [{ at: now, event, detail: routes, actor }] };
}

function withPastHistory(fresh: DeploymentStatus, past: DeploymentStatus): DeploymentStatus {
  return { ...fresh, history: [...past.history, ...fresh.history].slice(-50) };
}

export function describeRoute(route: DeploymentRoute, defaultModel: string): string {
  return `${route.model ?? defaultModel} ${route.version !== undefined ? `v${route.version}` : `@${route.alias}`}`;
}

function notFound(project: string, name: string): NotFoundError {
  return new NotFoundError('FALAJ_DEPLOYMENT_NOT_FOUND', `deployment ${name} not found in project ${project}`);
}
