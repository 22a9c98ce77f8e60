import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../core/clock.js';
import { ConflictError, NotAllowedError, NotFoundError, UnprocessableError } from '../core/errors/index.js';
import { newId } from '../core/ids.js';
import type { Db, DbOrTx, MetadataDialect } from '../storage/metadata/index.js';
import { type AuditLog, can, type Permission, type RequestContext } from '../security/index.js';
import { AliasRules } from './aliases/alias-rules.js';
import * as repo from './aliases/model-alias.repository.js';
import type { AliasApprovalTable } from './aliases/model-alias.table.js';
import { toAlias, toApproval } from './mappers.js';
import type { AliasApproval, AliasChange, ApprovalStatus, ModelAlias, ModelVersion, RegistrySettings } from './model-types.js';
import * as modelRepo from './models/registered-model.repository.js';
import { modelNotFound, type ModelRegistry } from './registry.service.js';
import * as versionRepo from './versions/model-version.repository.js';

/**
 * Aliases (`champion`, `challenger`, any name) and the governance around them. A
 * protected alias (configured; `champion` by default) needs `model:promote` to move,
 * and when the project requires approvals, moving it only files a request that a
 * *different* principal with `model:promote` must approve. Every move, request,
 * decision and refusal is written to the audit log.
 *
 * The approval setting lives in the `registry_settings` table, one row per project
 * (no row: approvals off), changed by project admins.
 */
export class ModelAliases {
  private readonly clock: Clock;

  constructor(
    private readonly db: Kysely<Db>,
    private readonly dialect: MetadataDialect,
    private readonly audit: AuditLog,
    private readonly registry: ModelRegistry,
    readonly rules: AliasRules = new AliasRules(),
    clock: Clock = systemClock,
  ) {
    this.clock = clock;
  }

  /** Points `alias` at `version`, or files an approval request when the project requires one. */
  async setAlias(ctx: RequestContext, project: string, model: string, alias: string, version: number): Promise<AliasChange> {
    AliasRules.check(alias);
    const isProtected = this.rules.isProtected(alias);
    await this.authorizeMove(ctx, project, model, alias, 'model.alias.set', { version });
    const requireApproval = isProtected && (await this.getSettings(project)).requireApproval;
    const now = this.now();
    return this.db.transaction().execute(async (tx): Promise<AliasChange> => {
      await this.lockModel(tx, project, model);
      await this.readyVersion(tx, project, model, version);
      const current = await repo.findAlias(tx, project, model, alias);
      if (requireApproval && current?.version !== version) {
        const row: AliasApprovalTable = { id: newId('apr', this.clock.now().getTime()), project, model, alias, version, requested_by: ctx.principal.id, requested_at: now, approved_by: null, approved_at: null, status: 'pending', note: null };
        // a newer request for the same alias replaces the older ones, so an approver never applies a stale choice
        for (const stale of await repo.pendingFor(tx, project, model, alias)) {
          await repo.decideApproval(tx, project, stale.id, { status: 'rejected', approved_by: null, approved_at: now, note: `superseded by ${row.id}` });
        }
        await repo.insertApproval(tx, row);
        await this.record(tx, ctx, project, 'model.alias.request', model, alias, { approvalId: row.id, version, from: current?.version ?? null });
        return { applied: false, approval: toApproval(row) };
      }
      const row = { project, model, alias, version, updated_at: now, updated_by: ctx.principal.id };
      await repo.upsertAlias(tx, row);
      await this.record(tx, ctx, project, 'model.alias.set', model, alias, { from: current?.version ?? null, to: version });
      return { applied: true, alias: toAlias(row, isProtected) };
    });
  }

  async getAlias(project: string, model: string, alias: string): Promise<ModelAlias> {
    const row = await repo.findAlias(this.db, project, model, alias);
    if (!row) {
      if (!(await modelRepo.findModel(this.db, project, model))) throw modelNotFound(project, model);
      throw new NotFoundError('FALAJ_ALIAS_NOT_FOUND', `model ${model} has no alias "${alias}"`);
    }
    return toAlias(row, this.rules.isProtected(alias));
  }

  async listAliases(project: string, model: string): Promise<ModelAlias[]> {
    if (!(await modelRepo.findModel(this.db, project, model))) throw modelNotFound(project, model);
    return (await repo.aliasesOf(this.db, project, [model])).map((r) => toAlias(r, this.rules.isProtected(r.alias)));
  }

  /** The version an alias names; `latest` (newest READY) and `v<N>` resolve too. */
  async getByAlias(project: string, model: string, alias: string): Promise<ModelVersion> {
    if (alias.toLowerCase() === 'latest') return this.registry.getLatestReadyVersion(project, model);
    const numbered = /^v(\d+)$/i.exec(alias);
    if (numbered) return this.registry.getVersion(project, model, Number(numbered[1]));
    return this.registry.getVersion(project, model, (await this.getAlias(project, model, alias)).version);
  }

  /** Removes an alias (a protected one needs `model:promote`, but no approval). */
  async deleteAlias(ctx: RequestContext, project: string, model: string, alias: string): Promise<void> {
    await this.authorizeMove(ctx, project, model, alias, 'model.alias.delete', {});
    await this.db.transaction().execute(async (tx) => {
      await this.lockModel(tx, project, model);
      const current = await repo.findAlias(tx, project, model, alias);
      if (!current) throw new NotFoundError('FALAJ_ALIAS_NOT_FOUND', `model ${model} has no alias "${alias}"`);
      await repo.deleteAlias(tx, project, model, alias);
      await this.record(tx, ctx, project, 'model.alias.delete', model, alias, { from: current.version });
    });
  }

  /**
   * Approves a pending request and moves the alias. The approver must hold
   * `model:promote` and must not be the requester (`FALAJ_APPROVAL_REQUIRED`).
   */
  async approve(ctx: RequestContext, project: string, approvalId: string): Promise<{ approval: AliasApproval; alias: ModelAlias }> {
    const pending = await this.pendingApproval(project, approvalId);
    await this.require(ctx, project, 'model:promote', 'model.alias.approve', pending, 'approving an alias move needs model:promote (deployer or admin)');
    if (pending.requested_by === ctx.principal.id) {
      await this.deny(ctx, project, 'model.alias.approve', pending, 'FALAJ_APPROVAL_REQUIRED');
      throw new NotAllowedError('FALAJ_APPROVAL_REQUIRED', `you requested this move of ${pending.model}@${pending.alias}, so someone else with model:promote must approve it`, { details: { approvalId } });
    }
    const now = this.now();
    return this.db.transaction().execute(async (tx) => {
      await this.lockModel(tx, project, pending.model);
      await this.readyVersion(tx, project, pending.model, pending.version);
      if (!(await repo.decideApproval(tx, project, approvalId, { status: 'applied', approved_by: ctx.principal.id, approved_at: now }))) throw notPending(approvalId);
      const current = await repo.findAlias(tx, project, pending.model, pending.alias);
      const row = { project, model: pending.model, alias: pending.alias, version: pending.version, updated_at: now, updated_by: ctx.principal.id };
      await repo.upsertAlias(tx, row);
      await this.record(tx, ctx, project, 'model.alias.approve', pending.model, pending.alias, { approvalId, version: pending.version, requestedBy: pending.requested_by });
      await this.record(tx, ctx, project, 'model.alias.set', pending.model, pending.alias, { from: current?.version ?? null, to: pending.version, approvalId, requestedBy: pending.requested_by, approvedBy: ctx.principal.id });
      return { approval: toApproval({ ...pending, status: 'applied', approved_by: ctx.principal.id, approved_at: now }), alias: toAlias(row, this.rules.isProtected(row.alias)) };
    });
  }

  /** Turns a pending request down (any `model:promote` holder, the requester included: withdrawing). */
  async reject(ctx: RequestContext, project: string, approvalId: string, note?: string): Promise<AliasApproval> {
    const pending = await this.pendingApproval(project, approvalId);
    await this.require(ctx, project, 'model:promote', 'model.alias.reject', pending, 'rejecting an alias move needs model:promote (deployer or admin)');
    const now = this.now();
    return this.db.transaction().execute(async (tx) => {
      const decided = { status: 'rejected' as const, approved_by: ctx.principal.id, approved_at: now, note: note ?? null };
      if (!(await repo.decideApproval(tx, project, approvalId, decided))) throw notPending(approvalId);
      await this.record(tx, ctx, project, 'model.alias.reject', pending.model, pending.alias, { approvalId, version: pending.version, note: note ?? null });
      return toApproval({ ...pending, ...decided });
    });
  }

  async getApproval(project: string, approvalId: string): Promise<AliasApproval> {
    const row = await repo.findApproval(this.db, project, approvalId);
    if (!row) throw new NotFoundError('FALAJ_APPROVAL_NOT_FOUND', `no approval request ${approvalId} in project ${project}: see falaj models approvals`);
    return toApproval(row);
  }

  async listApprovals(project: string, status?: ApprovalStatus, limit = 100): Promise<AliasApproval[]> {
    return (await repo.listApprovals(this.db, project, status, limit)).map(toApproval);
  }

  async getSettings(project: string): Promise<RegistrySettings> {
    const row = await repo.findSettings(this.db, project);
    return { project, requireApproval: row?.require_approval === 1, protectedAliases: [...this.rules.protectedAliases] };
  }

  /** Turns two-person approval of protected alias moves on or off (the route needs `project:update`). */
  async updateSettings(ctx: RequestContext, project: string, patch: { requireApproval: boolean }): Promise<RegistrySettings> {
    const before = await this.getSettings(project);
    await this.db.transaction().execute(async (tx) => {
      await repo.upsertSettings(tx, { project, require_approval: patch.requireApproval ? 1 : 0, updated_at: this.now(), updated_by: ctx.principal.id });
      await this.audit.append(tx, { actor: ctx.principal.id, action: 'model.settings.update', resource: `project/${project}/model-settings`, project, outcome: 'success', requestId: ctx.requestId, details: { before: { requireApproval: before.requireApproval }, after: patch } });
    });
    return this.getSettings(project);
  }

  // ---- helpers

  /** Protected aliases need `model:promote`; others `model:write` or `model:promote`. Refusals are audited. */
  private async authorizeMove(ctx: RequestContext, project: string, model: string, alias: string, action: string, details: Record<string, unknown>): Promise<void> {
    const p = ctx.principal;
    const allowed = this.rules.isProtected(alias) ? can(p, 'model:promote', project) : can(p, 'model:write', project) || can(p, 'model:promote', project);
    if (allowed) return;
    const needs = this.rules.isProtected(alias) ? `model:promote (deployer or admin): "${alias}" is a protected alias` : 'model:write or model:promote';
    await this.deny(ctx, project, action, { model, alias, ...details }, 'FALAJ_PERMISSION_DENIED');
    throw new NotAllowedError('FALAJ_PERMISSION_DENIED', `${p.name} may not move ${model}@${alias}: that needs ${needs} on project "${project}"`, { details: { permission: this.rules.isProtected(alias) ? 'model:promote' : 'model:write', project } });
  }

  private async require(ctx: RequestContext, project: string, permission: Permission, action: string, approval: AliasApprovalTable, message: string): Promise<void> {
    if (can(ctx.principal, permission, project)) return;
    await this.deny(ctx, project, action, approval, 'FALAJ_PERMISSION_DENIED');
    throw new NotAllowedError('FALAJ_PERMISSION_DENIED', message, { details: { permission, project } });
  }

  private async deny(ctx: RequestContext, project: string, action: string, subject: { model: string; alias: string; id?: string; version?: number }, code: string): Promise<void> {
    await this.audit.record({
      actor: ctx.principal.id,
      action,
      resource: `model/${subject.model}/aliases/${subject.alias}`,
      project,
      outcome: 'denied',
      requestId: ctx.requestId,
      details: { code, ...(subject.id ? { approvalId: subject.id } : {}), ...(subject.version !== undefined ? { version: subject.version } : {}) },
    });
  }

  private async pendingApproval(project: string, approvalId: string): Promise<AliasApprovalTable> {
    const row = await repo.findApproval(this.db, project, approvalId);
    if (!row) throw new NotFoundError('FALAJ_APPROVAL_NOT_FOUND', `no approval request ${approvalId} in project ${project}: see falaj models approvals`);
    if (row.status !== 'pending') throw notPending(approvalId, row.status);
    return row;
  }

  private async lockModel(tx: DbOrTx, project: string, model: string): Promise<void> {
    if (!(await modelRepo.lockModel(tx, this.dialect, project, model))) throw modelNotFound(project, model);
  }

  private async readyVersion(tx: DbOrTx, project: string, model: string, version: number): Promise<void> {
    const row = await versionRepo.findVersion(tx, project, model, version);
    if (!row) throw new NotFoundError('FALAJ_MODEL_VERSION_NOT_FOUND', `model ${model} has no version ${version}`);
    if (row.status !== 'READY') throw new UnprocessableError('FALAJ_MODEL_VERSION_NOT_READY', `version ${version} of ${model} is ${row.status}${row.status_message ? ` (${row.status_message})` : ''}: only READY versions can take an alias`);
  }

  private record(tx: DbOrTx, ctx: RequestContext, project: string, action: string, model: string, alias: string, details: Record<string, unknown>) {
    return this.audit.append(tx, { actor: ctx.principal.id, action, resource: `model/${model}/aliases/${alias}`, project, outcome: 'success', requestId: ctx.requestId, details: { protected: this.rules.isProtected(alias), ...details } });
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

function notPending(approvalId: string, status?: string): ConflictError {
  return new ConflictError('FALAJ_APPROVAL_NOT_PENDING', `approval request ${approvalId} was already decided${status ? ` (${status})` : ''}`);
}
