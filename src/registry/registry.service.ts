import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../core/errors/index.js';
import type { Db, DbOrTx, MetadataDialect } from '../storage/metadata/index.js';
import type { AuditLog, Classification, ProjectService, RequestContext } from '../security/index.js';
import { SOURCE_VERSION_TAG } from '../tracking/index.js';
import type { ArtifactStore, ModelSigner } from './artifact-contracts.js';
import { AliasRules } from './aliases/alias-rules.js';
import * as aliasRepo from './aliases/model-alias.repository.js';
import { type ClassificationOf, MINIMUM_MODEL_CLASSIFICATION, mostRestrictive, normalizeLineage } from './lineage/lineage.js';
import { toModel, toVersion } from './mappers.js';
import type { ModelFile, ModelVersion, Page, RegisteredModel, Tags, VersionVerification } from './model-types.js';
import type { CreateVersionInput, ModelSearch, VersionSearch } from './registry-inputs.js';
import * as modelRepo from './models/registered-model.repository.js';
import type { RegisteredModelTable } from './models/registered-model.table.js';
import { checkDescription, checkModelName, checkTagKey, checkTags, checkTagValue, decodePageToken, encodePageToken } from './names.js';
import { versionOrigin } from './versions/version-origin.js';
import * as versionRepo from './versions/model-version.repository.js';
import type { ModelVersionTable } from './versions/model-version.table.js';
import { withoutPaths } from './versions/model-files.js';
import { type CollectedFiles, VersionIntegrity } from './versions/version-integrity.js';

export interface ModelRegistryOptions {
  /** a run's artifacts (tracking); without it, versions can only point at external sources */
  artifacts?: ArtifactStore | undefined;
  /** signs and verifies the list of a model's files */
  signer?: ModelSigner | undefined;
  /** classification of training datasets; without it, only the caller's floor and `internal` count */
  classificationOf?: ClassificationOf | undefined;
  /** the runs (tracking): a registration names a run that must exist; its code version fills the lineage */
  runs?: RunLookup | undefined;
  rules?: AliasRules;
  clock?: Clock;
}

/** What the registry needs of tracking (`TrackingService` fits). */
export interface RunLookup {
  getRun(project: string, runId: string): Promise<{ data: { tags: Record<string, string> } }>;
}

const MAX_RESULTS = 1000;

/**
 * The model registry: registered models and their numbered versions, each version with
 * its lineage, the classification inherited from its training data, the signed list of
 * its files and the ONNX input/output signature. Aliases and approvals are
 * {@link ModelAliases}. Shaped after MLflow's registry so its REST API maps onto it.
 */
export class ModelRegistry {
  private readonly clock: Clock;
  private readonly rules: AliasRules;
  private readonly integrity: VersionIntegrity;
  private readonly created: ((ctx: RequestContext, version: ModelVersion) => void)[] = [];

  constructor(
    private readonly db: Kysely<Db>,
    private readonly dialect: MetadataDialect,
    private readonly audit: AuditLog,
    private readonly projects: ProjectService,
    private readonly options: ModelRegistryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.rules = options.rules ?? new AliasRules();
    this.integrity = new VersionIntegrity(audit, options.artifacts, options.signer);
  }

  // ---- registered models

  async createModel(ctx: RequestContext, project: string, input: { name: string; description?: string | undefined; tags?: Tags | undefined }): Promise<RegisteredModel> {
    await this.projects.get(project);
    const now = this.now();
    const row: RegisteredModelTable = {
      project,
      name: checkModelName(input.name),
      description: checkDescription(input.description),
      tags: JSON.stringify(checkTags(input.tags)),
      classification: MINIMUM_MODEL_CLASSIFICATION,
      last_version: 0,
      created_at: now,
      created_by: ctx.principal.id,
      updated_at: now,
    };
    return this.db.transaction().execute(async (tx) => {
      if (!(await modelRepo.insertModel(tx, row))) throw new ConflictError('FALAJ_MODEL_EXISTS', `model "${input.name}" already exists in project ${project}: register a new version of it instead`);
      await this.record(tx, ctx, project, 'model.create', `model/${row.name}`, { description: row.description, tags: JSON.parse(row.tags) });
      return toModel(row, [], undefined);
    });
  }

  async getModel(project: string, name: string): Promise<RegisteredModel> {
    const row = await this.findModel(this.db, project, name);
    return (await this.withDetails(project, [row]))[0]!;
  }

  async searchModels(project: string, q: ModelSearch = {}): Promise<Page<RegisteredModel>> {
    const { offset, limit } = this.paging(q);
    const rows = await modelRepo.searchModels(this.db, this.dialect, project, {
      nameLike: q.nameLike,
      tags: q.tags,
      orderBy: q.orderBy ?? 'name',
      descending: q.descending ?? false,
      offset,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return { items: await this.withDetails(project, page), nextPageToken: rows.length > limit ? encodePageToken(offset + limit) : null };
  }

  async renameModel(ctx: RequestContext, project: string, name: string, newName: string): Promise<RegisteredModel> {
    checkModelName(newName);
    await this.db.transaction().execute(async (tx) => {
      await this.lockModel(tx, project, name);
      if (await modelRepo.findModel(tx, project, newName)) throw new ConflictError('FALAJ_MODEL_EXISTS', `model "${newName}" already exists in project ${project}`);
      await modelRepo.renameModel(tx, project, name, newName, this.now());
      await this.record(tx, ctx, project, 'model.rename', `model/${newName}`, { from: name, to: newName });
    });
    return this.getModel(project, newName);
  }

  async updateModel(ctx: RequestContext, project: string, name: string, patch: { description?: string | undefined }): Promise<RegisteredModel> {
    const description = checkDescription(patch.description);
    return this.changeModel(ctx, project, name, 'model.update', () => ({ description }), { description });
  }

  async setModelTag(ctx: RequestContext, project: string, name: string, key: string, value: string): Promise<RegisteredModel> {
    checkTagValue(checkTagKey(key), value);
    return this.changeModel(ctx, project, name, 'model.tag.set', (row) => ({ tags: JSON.stringify({ ...JSON.parse(row.tags), [key]: value }) }), { key, value });
  }

  async deleteModelTag(ctx: RequestContext, project: string, name: string, key: string): Promise<RegisteredModel> {
    return this.changeModel(ctx, project, name, 'model.tag.delete', (row) => {
      const tags = JSON.parse(row.tags) as Tags;
      if (!(key in tags)) throw new NotFoundError('FALAJ_TAG_NOT_FOUND', `model ${name} has no tag "${key}"`);
      delete tags[key];
      return { tags: JSON.stringify(tags) };
    }, { key });
  }

  /** Deletes the model, its versions and aliases; refused while a protected alias points into it. */
  async deleteModel(ctx: RequestContext, project: string, name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await this.lockModel(tx, project, name);
      const guarded = (await aliasRepo.aliasesOf(tx, project, [name])).filter((a) => this.rules.isProtected(a.alias));
      if (guarded.length > 0) {
        throw new ConflictError('FALAJ_MODEL_VERSION_IN_USE', `model ${name} has protected alias(es) ${guarded.map((a) => `${a.alias} → v${a.version}`).join(', ')}: someone with model:promote must delete them first`);
      }
      await modelRepo.deleteModel(tx, project, name);
      await this.record(tx, ctx, project, 'model.delete', `model/${name}`, {});
    });
  }

  // ---- versions

  /**
   * Registers a new version, numbered one past the highest ever given (safe under
   * concurrency: the model row is locked while numbering). From a run (`runs:/RUN/PATH`)
   * the files under PATH are listed, signed, and the ONNX signature read.
   */
  async createVersion(ctx: RequestContext, project: string, model: string, input: CreateVersionInput): Promise<ModelVersion> {
    const origin = versionOrigin(input);
    const description = checkDescription(input.description);
    const tags = checkTags(input.tags);
    await this.findModel(this.db, project, model); // a clear 404 before any artifact work
    const run = origin && this.options.runs ? await this.options.runs.getRun(project, origin.runId) : undefined;
    const lineage = normalizeLineage(input.lineage, origin?.runId ?? null, run?.data.tags[SOURCE_VERSION_TAG]);
    // I/O first, outside the transaction (SQLite runs one transaction at a time on its one connection)
    const collected: CollectedFiles | undefined = origin ? await this.integrity.collect(ctx, project, origin.runId, origin.path) : undefined;
    const fromData = lineage.datasets.length > 0 && this.options.classificationOf ? await this.options.classificationOf(project, lineage.datasets.map((d) => d.id)) : 'public';
    const classification = mostRestrictive(MINIMUM_MODEL_CLASSIFICATION, fromData, input.classification ?? 'public');

    const row = await this.db.transaction().execute(async (tx) => {
      const locked = await this.lockModel(tx, project, model);
      const version = locked.last_version + 1;
      const now = this.now();
      const files: ModelFile[] = collected ? withoutPaths(collected.files) : [];
      const signed = collected ? this.integrity.sign(`models:/${model}/${version}`, files) : undefined;
      const row: ModelVersionTable = {
        project,
        model,
        version,
        source: input.source,
        run_id: origin?.runId ?? null,
        artifact_path: origin?.path ?? null,
        status: collected?.onnxError ? 'FAILED_REGISTRATION' : 'READY',
        status_message: collected?.onnxError ?? null,
        description,
        tags: JSON.stringify(tags),
        lineage: JSON.stringify(lineage),
        classification,
        files: JSON.stringify(files),
        signature: signed ? JSON.stringify(signed.envelope) : null,
        signature_key_id: signed?.keyId ?? null,
        onnx_signature: collected?.onnx ? JSON.stringify(collected.onnx) : null,
        created_at: now,
        created_by: ctx.principal.id,
        updated_at: now,
      };
      await versionRepo.insertVersion(tx, row);
      await modelRepo.updateModel(tx, project, model, {
        last_version: version,
        classification: mostRestrictive(locked.classification as Classification, classification),
        updated_at: now,
      });
      await this.record(tx, ctx, project, 'model.version.create', `model/${model}/versions/${version}`, {
        version,
        source: input.source,
        status: row.status,
        classification,
        files: files.length,
        keyId: row.signature_key_id,
        onnx: collected?.onnx !== null && collected?.onnx !== undefined,
        datasets: lineage.datasets.map((d) => d.id),
      });
      return row;
    });
    const created = toVersion(row, []);
    for (const listener of this.created) listener(ctx, created);
    return created;
  }

  /** Called after each version is registered (lineage). */
  onVersionCreated(listener: (ctx: RequestContext, version: ModelVersion) => void): void {
    this.created.push(listener);
  }

  async getVersion(project: string, model: string, version: number): Promise<ModelVersion> {
    const row = await this.findVersion(this.db, project, model, version);
    return (await this.versionsWithAliases(project, [row]))[0]!;
  }

  async searchVersions(project: string, q: VersionSearch = {}): Promise<Page<ModelVersion>> {
    const { offset, limit } = this.paging(q);
    const rows = await versionRepo.searchVersions(this.db, this.dialect, project, { model: q.model, modelLike: q.modelLike, runId: q.runId, tags: q.tags, offset, limit: limit + 1 });
    return { items: await this.versionsWithAliases(project, rows.slice(0, limit)), nextPageToken: rows.length > limit ? encodePageToken(offset + limit) : null };
  }

  /** MLflow's get-latest-versions without stages: the newest version, if any. */
  async getLatestVersions(project: string, model: string): Promise<ModelVersion[]> {
    await this.findModel(this.db, project, model);
    const row = await versionRepo.newestVersion(this.db, project, model);
    return row ? this.versionsWithAliases(project, [row]) : [];
  }

  /** The newest READY version (what `@latest` resolves to). */
  async getLatestReadyVersion(project: string, model: string): Promise<ModelVersion> {
    await this.findModel(this.db, project, model);
    const row = await versionRepo.newestVersion(this.db, project, model, true);
    if (!row) throw new NotFoundError('FALAJ_MODEL_VERSION_NOT_FOUND', `model ${model} has no READY version yet`);
    return (await this.versionsWithAliases(project, [row]))[0]!;
  }

  async updateVersion(ctx: RequestContext, project: string, model: string, version: number, patch: { description?: string | undefined }): Promise<ModelVersion> {
    const description = checkDescription(patch.description);
    return this.changeVersion(ctx, project, model, version, 'model.version.update', () => ({ description }), { description });
  }

  async setVersionTag(ctx: RequestContext, project: string, model: string, version: number, key: string, value: string): Promise<ModelVersion> {
    checkTagValue(checkTagKey(key), value);
    return this.changeVersion(ctx, project, model, version, 'model.version.tag.set', (row) => ({ tags: JSON.stringify({ ...JSON.parse(row.tags), [key]: value }) }), { key, value });
  }

  async deleteVersionTag(ctx: RequestContext, project: string, model: string, version: number, key: string): Promise<ModelVersion> {
    return this.changeVersion(ctx, project, model, version, 'model.version.tag.delete', (row) => {
      const tags = JSON.parse(row.tags) as Tags;
      if (!(key in tags)) throw new NotFoundError('FALAJ_TAG_NOT_FOUND', `version ${version} of ${model} has no tag "${key}"`);
      delete tags[key];
      return { tags: JSON.stringify(tags) };
    }, { key });
  }

  /** Deletes a version (and its unprotected aliases); its number is never given again. */
  async deleteVersion(ctx: RequestContext, project: string, model: string, version: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await this.lockModel(tx, project, model);
      await this.findVersion(tx, project, model, version);
      const aliases = (await aliasRepo.aliasesOf(tx, project, [model])).filter((a) => a.version === version);
      const guarded = aliases.filter((a) => this.rules.isProtected(a.alias));
      if (guarded.length > 0) {
        throw new ConflictError('FALAJ_MODEL_VERSION_IN_USE', `version ${version} of ${model} is ${guarded.map((a) => a.alias).join(', ')}: move the protected alias to another version first`);
      }
      await versionRepo.deleteVersion(tx, project, model, version);
      await this.record(tx, ctx, project, 'model.version.delete', `model/${model}/versions/${version}`, { version, aliasesRemoved: aliases.map((a) => a.alias) });
    });
  }

  /**
   * Checks the version's files against its signature: re-lists them in the run and
   * verifies the DSSE envelope; with `deep` (the default) also re-reads and hashes every
   * file. Tampering → IntegrityError and a `model.tampered` audit event.
   */
  async verifyVersion(ctx: RequestContext, project: string, model: string, version: number, options: { deep?: boolean } = {}): Promise<VersionVerification> {
    const row = await this.findVersion(this.db, project, model, version);
    const deep = options.deep ?? true;
    const files = await this.integrity.verify(ctx, row, deep);
    await this.audit.record({ actor: ctx.principal.id, action: 'model.verify', resource: `model/${model}/versions/${version}`, project, outcome: 'success', requestId: ctx.requestId, details: { files: files.length, deep } });
    return { model, version, verified: true, files: files.length, keyId: row.signature_key_id, deep };
  }

  /** Opens one file of a version after verifying the signature (an audited read). */
  async openVersionFile(ctx: RequestContext, project: string, model: string, version: number, name: string): Promise<{ file: ModelFile; stream: Readable }> {
    const row = await this.findVersion(this.db, project, model, version);
    const opened = await this.integrity.open(ctx, row, name);
    await this.audit.record({ actor: ctx.principal.id, action: 'model.read', resource: `model/${model}/versions/${version}`, project, outcome: 'success', requestId: ctx.requestId, details: { file: name, sha256: opened.file.sha256 } });
    return opened;
  }

  // ---- helpers

  private async changeModel(
    ctx: RequestContext,
    project: string,
    name: string,
    action: string,
    change: (row: RegisteredModelTable) => Partial<RegisteredModelTable>,
    details: Record<string, unknown>,
  ): Promise<RegisteredModel> {
    await this.db.transaction().execute(async (tx) => {
      const row = await this.lockModel(tx, project, name);
      await modelRepo.updateModel(tx, project, name, { ...change(row), updated_at: this.now() });
      await this.record(tx, ctx, project, action, `model/${name}`, details);
    });
    return this.getModel(project, name);
  }

  private async changeVersion(
    ctx: RequestContext,
    project: string,
    model: string,
    version: number,
    action: string,
    change: (row: ModelVersionTable) => Partial<ModelVersionTable>,
    details: Record<string, unknown>,
  ): Promise<ModelVersion> {
    await this.db.transaction().execute(async (tx) => {
      const row = await this.findVersion(tx, project, model, version);
      await versionRepo.updateVersion(tx, project, model, version, { ...change(row), updated_at: this.now() });
      await this.record(tx, ctx, project, action, `model/${model}/versions/${version}`, details);
    });
    return this.getVersion(project, model, version);
  }

  private async findModel(db: DbOrTx, project: string, name: string): Promise<RegisteredModelTable> {
    const row = await modelRepo.findModel(db, project, name);
    if (!row) throw modelNotFound(project, name);
    return row;
  }

  private async lockModel(tx: DbOrTx, project: string, name: string): Promise<RegisteredModelTable> {
    const row = await modelRepo.lockModel(tx, this.dialect, project, name);
    if (!row) throw modelNotFound(project, name);
    return row;
  }

  private async findVersion(db: DbOrTx, project: string, model: string, version: number): Promise<ModelVersionTable> {
    const row = await versionRepo.findVersion(db, project, model, version);
    if (!row) {
      await this.findModel(db, project, model);
      throw new NotFoundError('FALAJ_MODEL_VERSION_NOT_FOUND', `model ${model} has no version ${version}: see falaj models show ${model}`);
    }
    return row;
  }

  private async withDetails(project: string, rows: RegisteredModelTable[]): Promise<RegisteredModel[]> {
    const names = rows.map((r) => r.name);
    const [aliases, latest] = await Promise.all([aliasRepo.aliasesOf(this.db, project, names), modelRepo.latestVersionNumbers(this.db, project, names)]);
    return rows.map((r) => toModel(r, aliases.filter((a) => a.model === r.name), latest.get(r.name)));
  }

  private async versionsWithAliases(project: string, rows: ModelVersionTable[]): Promise<ModelVersion[]> {
    const aliases = await aliasRepo.aliasesOf(this.db, project, [...new Set(rows.map((r) => r.model))]);
    return rows.map((r) => toVersion(r, aliases.filter((a) => a.model === r.model && a.version === r.version).map((a) => a.alias)));
  }

  private paging(q: { maxResults?: number | undefined; pageToken?: string | undefined }): { offset: number; limit: number } {
    const limit = q.maxResults ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RESULTS) throw new InputError('FALAJ_VALIDATION_FAILED', `maxResults must be 1-${MAX_RESULTS}`);
    return { offset: decodePageToken(q.pageToken), limit };
  }

  private record(tx: DbOrTx, ctx: RequestContext, project: string, action: string, resource: string, details: Record<string, unknown>) {
    return this.audit.append(tx, { actor: ctx.principal.id, action, resource, project, outcome: 'success', requestId: ctx.requestId, details });
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

export function modelNotFound(project: string, name: string): NotFoundError {
  return new NotFoundError('FALAJ_MODEL_NOT_FOUND', `model "${name}" is not registered in project ${project}: see falaj models list`);
}
