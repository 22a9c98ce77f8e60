import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { canonicalJson, sha256Hex } from '../../core/crypto/index.js';
import { NotFoundError, PolicyViolationError, UnprocessableError } from '../../core/errors/index.js';
import type { Db } from '../../storage/metadata/index.js';
import type { AuditLog, PolicyService, Project, ProjectService, RequestContext } from '../../security/index.js';
import { checkSpecs, type DefinitionError, type SubmittedObject } from '../definitions/check-spec.js';
import { resolveDefinitions, type ResolvedDefinitions, type VersionedObject } from '../definitions/resolve.js';
import type { ResolvedFeatureService, ResolvedFeatureView, ResolvedSource } from '../definitions/resolved.js';
import { OBJECT_KINDS, type ObjectSpec } from '../definitions/spec.schema.js';
import * as repo from './feature-registry.repository.js';
import type { FeatureObjectTable } from './feature-registry.table.js';
import { diffObject, type Plan, type PlanItem } from './plan.js';

export interface RegistryOptions {
  /** where a push source's rows land offline */
  pushPath(project: string, source: string): string;
  /** checks a batch source can be read and returns its columns (problems as messages) */
  inspectSource?(source: ResolvedSource): Promise<{ columns: string[] } | { error: string }>;
  /** how long resolved definitions are cached per project (other replicas' applies show up within it) */
  cacheMs?: number;
  clock?: Clock;
}

export interface ObjectSummary {
  kind: ObjectSpec['kind'];
  name: string;
  version: number;
  createdAt: string;
  createdBy: string;
  spec: ObjectSpec;
}

/**
 * The feature registry: declarative objects, planned and applied like Feast's
 * `feast plan` / `feast apply`, every version kept. Other feature-store services read
 * resolved definitions from here.
 */
export class FeatureRegistry {
  private readonly cache = new Map<string, { at: number; defs: ResolvedDefinitions }>();
  private readonly clock: Clock;

  constructor(
    private readonly db: Kysely<Db>,
    private readonly audit: AuditLog,
    private readonly projects: ProjectService,
    private readonly policy: PolicyService,
    private readonly options: RegistryOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** What `apply` would do, with every validation error; changes nothing. */
  async plan(project: string, objects: readonly SubmittedObject[], prune = false): Promise<Plan> {
    const proj = await this.projects.get(project);
    return (await this.compute(proj, objects, prune)).plan;
  }

  /** Applies the objects (and with `prune`, deletes the ones not submitted); all or nothing. */
  async apply(ctx: RequestContext, project: string, objects: readonly SubmittedObject[], prune = false): Promise<Plan> {
    const proj = await this.projects.get(project);
    const { plan, specs, residency } = await this.compute(proj, objects, prune);
    for (const v of residency) {
      // audit each refusal (enforce writes the event), then report them all together
      await this.policy.enforce(ctx, proj, v.classification, v.target, v.resource).catch((err) => {
        if (!(err instanceof PolicyViolationError)) throw err;
      });
    }
    if (plan.errors.length > 0) {
      throw new UnprocessableError('FALAJ_FEATURE_DEFINITIONS_INVALID', `${plan.errors.length} problem(s) in the definitions: ${plan.errors.map((e) => `${e.object}: ${e.message}`).join('; ')}`, {
        details: { errors: plan.errors },
      });
    }
    const now = this.clock.now().toISOString();
    await this.db.transaction().execute(async (tx) => {
      for (const item of plan.items) {
        if (item.action === 'unchanged') continue;
        const spec = item.action === 'delete' ? undefined : specs.get(`${item.kind}/${item.name}`)!;
        const version = item.action === 'delete' ? item.fromVersion! + 1 : item.toVersion!;
        const text = spec ? canonicalJson(spec) : '{}';
        await repo.insertObject(tx, { project, kind: item.kind, name: item.name, version, spec: text, digest: sha256Hex(text), deleted: spec ? 0 : 1, created_at: now, created_by: ctx.principal.id });
        await this.audit.append(tx, {
          actor: ctx.principal.id,
          action: `feature.${item.action}`,
          resource: `${item.kind}/${item.name}`,
          project,
          outcome: 'success',
          requestId: ctx.requestId,
          details: { version, fromVersion: item.fromVersion, changes: item.changes, breaking: item.breaking },
        });
      }
    });
    this.cache.delete(project);
    return { ...plan, applied: true };
  }

  async list(project: string, kind?: string): Promise<ObjectSummary[]> {
    await this.projects.get(project);
    return (await repo.latestObjects(this.db, project))
      .filter((r) => !r.deleted && (!kind || r.kind === kind))
      .sort((a, b) => OBJECT_KINDS.indexOf(a.kind as ObjectSpec['kind']) - OBJECT_KINDS.indexOf(b.kind as ObjectSpec['kind']) || a.name.localeCompare(b.name))
      .map(toSummary);
  }

  /** One object with all its versions, newest first. */
  async describe(project: string, kind: string, name: string): Promise<{ latest: ObjectSummary; versions: ObjectSummary[] }> {
    const all = await repo.objectVersions(this.db, project, kind, name);
    const rows = all.filter((r) => !r.deleted);
    // the newest version a tombstone: the object was deleted (its history stays in the table and the audit log)
    if (rows.length === 0 || all[0]!.deleted) throw new NotFoundError('FALAJ_FEATURE_OBJECT_NOT_FOUND', `${kind} ${name} is not registered in project ${project}: see falaj features list`);
    const versions = rows.map(toSummary);
    return { latest: versions[0]!, versions };
  }

  /** Resolved definitions of a project (cached briefly; invalidated by a local apply). */
  async definitions(project: string): Promise<ResolvedDefinitions> {
    const hit = this.cache.get(project);
    const now = Date.now();
    if (hit && now - hit.at < (this.options.cacheMs ?? 5_000)) return hit.defs;
    const current = (await repo.latestObjects(this.db, project)).filter((r) => !r.deleted).map((r) => ({ spec: JSON.parse(r.spec) as ObjectSpec, version: r.version }));
    const defs = resolveDefinitions(current, { pushPath: (s) => this.options.pushPath(project, s) });
    this.cache.set(project, { at: now, defs });
    return defs;
  }

  async featureView(project: string, name: string): Promise<ResolvedFeatureView> {
    const view = (await this.definitions(project)).views.get(name);
    if (!view) throw new NotFoundError('FALAJ_FEATURE_VIEW_NOT_FOUND', `feature view ${name} is not registered in project ${project}`);
    return view;
  }

  async featureService(project: string, name: string): Promise<ResolvedFeatureService> {
    const service = (await this.definitions(project)).services.get(name);
    if (!service) throw new NotFoundError('FALAJ_FEATURE_SERVICE_NOT_FOUND', `feature service ${name} is not registered in project ${project}`);
    return service;
  }

  private async compute(project: Project, objects: readonly SubmittedObject[], prune: boolean) {
    const checked = checkSpecs(objects);
    const errors: DefinitionError[] = [...checked.errors];
    const latest = await repo.latestObjects(this.db, project.name);
    const current = new Map<string, FeatureObjectTable>(latest.filter((r) => !r.deleted).map((r) => [`${r.kind}/${r.name}`, r]));
    // a pruned object keeps its versions: re-creating it continues after its tombstone
    const tombstones = new Map(latest.filter((r) => r.deleted).map((r) => [`${r.kind}/${r.name}`, r.version]));
    const specs = new Map<string, ObjectSpec>();
    const items: PlanItem[] = [];
    for (const { spec, origin } of checked.specs) {
      const key = `${spec.kind}/${spec.name}`;
      if (specs.has(key)) {
        errors.push({ object: key, origin, message: `${key} is declared more than once` });
        continue;
      }
      specs.set(key, spec);
      const row = current.get(key);
      const item = diffObject(row ? { spec: JSON.parse(row.spec) as ObjectSpec, version: row.version } : undefined, spec, origin);
      const tombstone = tombstones.get(key);
      if (item.action === 'create' && tombstone !== undefined) item.toVersion = tombstone + 1;
      items.push(item);
    }
    const desired: VersionedObject[] = items.map((i) => ({ spec: specs.get(`${i.kind}/${i.name}`)!, version: i.toVersion!, origin: i.origin }));
    for (const [key, row] of current) {
      if (specs.has(key)) continue;
      if (prune) items.push({ kind: row.kind as ObjectSpec['kind'], name: row.name, action: 'delete', fromVersion: row.version, toVersion: null, changes: [], breaking: ['deleted'] });
      else desired.push({ spec: JSON.parse(row.spec) as ObjectSpec, version: row.version });
    }
    const resolved = resolveDefinitions(desired, { pushPath: (s) => this.options.pushPath(project.name, s) });
    errors.push(...resolved.errors);
    const residency = this.residencyViolations(project, resolved, items);
    for (const v of residency) errors.push({ object: v.resource, message: v.reason });
    errors.push(...(await this.sourceProblems(resolved, items)));
    // residency and source problems are found on resolved objects: point them at their documents too
    const origins = new Map(items.map((i) => [`${i.kind}/${i.name}`, i.origin]));
    for (const e of errors) if (e.origin === undefined) e.origin = origins.get(e.object);
    const order = (k: string) => OBJECT_KINDS.indexOf(k as ObjectSpec['kind']);
    items.sort((a, b) => order(a.kind) - order(b.kind) || a.name.localeCompare(b.name));
    const plan: Plan = { project: project.name, items, errors, applied: false };
    return { plan, specs, residency };
  }

  /** Residency: online views go to the online store, pushed rows to the offline store. */
  private residencyViolations(project: Project, resolved: ResolvedDefinitions, items: PlanItem[]) {
    const changed = new Set(items.filter((i) => i.action === 'create' || i.action === 'update').map((i) => `${i.kind}/${i.name}`));
    const out: { resource: string; classification: ResolvedFeatureView['classification']; target: NonNullable<ReturnType<PolicyService['store']>>; reason: string }[] = [];
    const check = (resource: string, classification: ResolvedFeatureView['classification'], storeName: string) => {
      const target = this.policy.store(storeName);
      if (!target) return;
      const decision = this.policy.evaluate(project, classification, target);
      if (!decision.allowed) out.push({ resource, classification, target, reason: `residency: ${decision.reason}` });
    };
    for (const view of resolved.views.values()) {
      if (view.online && changed.has(`FeatureView/${view.name}`)) check(`FeatureView/${view.name}`, view.classification, 'online');
    }
    for (const source of resolved.sources.values()) {
      const kind = source.kind === 'push' && source.stream ? 'StreamSource' : 'PushSource';
      if (source.kind === 'push' && changed.has(`${kind}/${source.name}`)) check(`${kind}/${source.name}`, source.classification, 'offline');
    }
    return out;
  }

  /** Batch sources that are new or changed must be readable and have the columns views use. */
  private async sourceProblems(resolved: ResolvedDefinitions, items: PlanItem[]): Promise<DefinitionError[]> {
    if (!this.options.inspectSource) return [];
    const changed = new Set(items.filter((i) => i.action === 'create' || i.action === 'update').map((i) => `${i.kind}/${i.name}`));
    const errors: DefinitionError[] = [];
    for (const source of resolved.sources.values()) {
      if (source.kind !== 'batch') continue;
      const users = [...resolved.views.values()].filter((v) => v.source.name === source.name);
      if (!changed.has(`BatchSource/${source.name}`) && !users.some((v) => changed.has(`FeatureView/${v.name}`))) continue;
      const inspected = await this.options.inspectSource(source);
      if ('error' in inspected) {
        errors.push({ object: `BatchSource/${source.name}`, message: inspected.error });
        continue;
      }
      const have = new Set(inspected.columns);
      const need = (column: string, who: string) => {
        if (!have.has(column)) errors.push({ object: who, message: `column ${column} is not in source ${source.name} (it has ${inspected.columns.join(', ')})` });
      };
      need(source.timestampField, `BatchSource/${source.name}`);
      if (source.createdTimestampField) need(source.createdTimestampField, `BatchSource/${source.name}`);
      for (const v of users) {
        for (const e of v.entities) for (const c of Object.values(e.columns)) need(c, `FeatureView/${v.name}`);
        for (const f of v.features) need(f.column ?? f.aggregation!.column, `FeatureView/${v.name}`);
      }
    }
    return errors;
  }
}

function toSummary(r: FeatureObjectTable): ObjectSummary {
  return { kind: r.kind as ObjectSpec['kind'], name: r.name, version: r.version, createdAt: r.created_at, createdBy: r.created_by, spec: JSON.parse(r.spec) as ObjectSpec };
}
