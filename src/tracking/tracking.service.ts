import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../core/errors/index.js';
import { newId } from '../core/ids.js';
import type { AuditEntry, AuditLog, ProjectService, RequestContext } from '../security/index.js';
import type { Db, DbOrTx, MetadataDialect } from '../storage/metadata/index.js';
import * as experiments from './experiment.repository.js';
import { checkKey, checkLength, checkTag, LIMITS } from './limits.js';
import { randomRunName } from './run-names.js';
import { activeRun, RunLogging, runNotFound } from './run-logging.js';
import * as runs from './run.repository.js';
import { assembleRuns, toExperiment, toRunInfo } from './run-view.js';
import { decodePageToken, encodePageToken, fingerprint } from './search/page-token.js';
import { runSearchQuery } from './search/run-query.js';
import { parseFilter, parseOrderBy } from './search/search-filter.js';
import type { ExperimentTable, RunTable } from './tracking.table.js';
import {
  RUN_NAME_TAG,
  SOURCE_VERSION_TAG,
  type DatasetInput,
  type Experiment,
  type ExperimentSearch,
  type LogBatch,
  type Metric,
  type Page,
  type Param,
  type Run,
  type RunInfo,
  type RunSearch,
  type RunStatus,
  type Tag,
} from './tracking.types.js';

export const SEARCH_MAX_RESULTS = 50_000;
export const SEARCH_DEFAULT_RESULTS = 1_000;
/** MLflow's default experiment: id 0, created on demand per project. */
export const DEFAULT_EXPERIMENT = { name: 'Default', mlflowId: 0 } as const;

const TERMINAL: ReadonlySet<RunStatus> = new Set(['FINISHED', 'FAILED', 'KILLED']);

export interface CreateExperimentInput {
  name: string;
  /** default `mlflow-artifacts:/<mlflow id>`, served by the artifact proxy */
  artifactLocation?: string | undefined;
  tags?: Record<string, string> | undefined;
}

export interface CreateRunInput {
  experimentId: string;
  name?: string | undefined;
  /** epoch ms; default now */
  startTime?: number | undefined;
  tags?: Record<string, string> | undefined;
  /** MLflow's user_id; default the principal's name */
  user?: string | undefined;
  /** code version (a git commit), kept as the `mlflow.source.git.commit` tag */
  sourceVersion?: string | undefined;
}

export interface UpdateRunInput {
  status?: RunStatus | undefined;
  /** epoch ms; a terminal status without one ends the run now */
  endTime?: number | undefined;
  name?: string | undefined;
}

/**
 * Experiment tracking, the MLflow way: experiments hold runs; runs hold params
 * (immutable), tags (overwritable), metrics (append-only history and latest values)
 * and dataset inputs. Creating, changing and deleting experiments and runs is audited;
 * logging data is not (see RunLogging). Deletes are soft, as in MLflow, and restorable.
 */
export class TrackingService {
  private readonly logging: RunLogging;

  constructor(
    private readonly db: Kysely<Db>,
    private readonly dialect: MetadataDialect,
    private readonly audit: AuditLog,
    private readonly projects: ProjectService,
    private readonly clock: Clock = systemClock,
  ) {
    this.logging = new RunLogging(db, dialect);
  }

  // ---- experiments

  async createExperiment(ctx: RequestContext, project: string, input: CreateExperimentInput): Promise<Experiment> {
    return this.insertExperiment(ctx, project, input);
  }

  /** MLflow's "Default" experiment (id 0) of a project, created the first time it is asked for. */
  async defaultExperiment(ctx: RequestContext, project: string): Promise<Experiment> {
    const found = await experiments.findExperimentByMlflowId(this.db, project, DEFAULT_EXPERIMENT.mlflowId);
    if (found) return this.withTags(found);
    try {
      return await this.insertExperiment(ctx, project, { name: DEFAULT_EXPERIMENT.name }, DEFAULT_EXPERIMENT.mlflowId);
    } catch (err) {
      // another request made it first, or (then rethrown) an experiment of ours is named "Default"
      const made = err instanceof ConflictError ? await experiments.findExperimentByMlflowId(this.db, project, DEFAULT_EXPERIMENT.mlflowId) : undefined;
      if (!made) throw err;
      return this.withTags(made);
    }
  }

  async getExperiment(project: string, id: string): Promise<Experiment> {
    return this.withTags(await this.experimentRow(this.db, project, id));
  }

  async getExperimentByName(project: string, name: string): Promise<Experiment> {
    const row = await experiments.findExperimentByName(this.db, project, name);
    if (!row) throw new NotFoundError('FALAJ_EXPERIMENT_NOT_FOUND', `no experiment named "${name}" in project ${project}`);
    return this.withTags(row);
  }

  /** By MLflow's numeric id (a string of digits), for the MLflow REST layer. */
  async getExperimentByMlflowId(project: string, mlflowId: string): Promise<Experiment> {
    const row = /^\d{1,15}$/.test(mlflowId) ? await experiments.findExperimentByMlflowId(this.db, project, Number(mlflowId)) : undefined;
    if (!row) throw new NotFoundError('FALAJ_EXPERIMENT_NOT_FOUND', `no experiment with id ${mlflowId} in project ${project}`);
    return this.withTags(row);
  }

  async searchExperiments(project: string, search: ExperimentSearch = {}): Promise<Page<Experiment>> {
    const limit = maxResults(search.maxResults);
    const filterText = search.filter ?? '';
    const orderBy = search.orderBy ?? [];
    const viewType = search.viewType ?? 'ACTIVE_ONLY';
    await this.projects.get(project);
    const print = fingerprint({ project, filterText, orderBy, viewType });
    const offset = decodePageToken(search.pageToken, print);
    const rows = await experiments.searchExperiments(this.db, this.dialect, { project, filter: parseFilter(filterText), filterText, orderBy, viewType, limit: limit + 1, offset });
    const page = rows.slice(0, limit);
    const tags = await experiments.experimentTags(this.db, page.map((r) => r.id));
    return { items: page.map((r) => toExperiment(r, tags.get(r.id)!)), ...(rows.length > limit ? { nextPageToken: encodePageToken(offset + limit, print) } : {}) };
  }

  async renameExperiment(ctx: RequestContext, project: string, id: string, name: string): Promise<Experiment> {
    checkExperimentName(name);
    return this.changeExperiment(ctx, project, id, 'experiment.update', async (tx, row) => {
      if (row.name === name) return { name };
      if (await experiments.findExperimentByName(tx, project, name)) throw experimentExists(project, name);
      await experiments.updateExperiment(tx, id, { name, updated_at: this.now() });
      return { name: { from: row.name, to: name } };
    });
  }

  /** Soft-deletes the experiment and its runs (MLflow does both); restorable. */
  async deleteExperiment(ctx: RequestContext, project: string, id: string): Promise<Experiment> {
    return this.changeExperiment(ctx, project, id, 'experiment.delete', async (tx) => {
      await experiments.updateExperiment(tx, id, { lifecycle_stage: 'deleted', updated_at: this.now() });
      return { runsDeleted: await runs.setExperimentRunsStage(tx, id, 'deleted', this.clock.now().getTime()) };
    });
  }

  async restoreExperiment(ctx: RequestContext, project: string, id: string): Promise<Experiment> {
    return this.changeExperiment(ctx, project, id, 'experiment.restore', async (tx) => {
      await experiments.updateExperiment(tx, id, { lifecycle_stage: 'active', updated_at: this.now() });
      return { runsRestored: await runs.setExperimentRunsStage(tx, id, 'active', null) };
    });
  }

  async setExperimentTag(ctx: RequestContext, project: string, id: string, key: string, value: string): Promise<Experiment> {
    checkKey('tag', key);
    checkLength(`the value of experiment tag ${key}`, value, LIMITS.experimentTagValueLength);
    return this.changeExperiment(ctx, project, id, 'experiment.update', async (tx) => {
      await experiments.setExperimentTags(tx, id, { [key]: value });
      await experiments.updateExperiment(tx, id, { updated_at: this.now() });
      return { setTag: key };
    });
  }

  async deleteExperimentTag(ctx: RequestContext, project: string, id: string, key: string): Promise<Experiment> {
    return this.changeExperiment(ctx, project, id, 'experiment.update', async (tx) => {
      await experiments.deleteExperimentTag(tx, id, key);
      await experiments.updateExperiment(tx, id, { updated_at: this.now() });
      return { deletedTag: key };
    });
  }

  // ---- runs

  async createRun(ctx: RequestContext, project: string, input: CreateRunInput): Promise<Run> {
    const name = input.name ?? input.tags?.[RUN_NAME_TAG] ?? randomRunName();
    checkLength('run name', name, LIMITS.runNameLength);
    const tags: Record<string, string> = { ...input.tags, [RUN_NAME_TAG]: name, ...(input.sourceVersion ? { [SOURCE_VERSION_TAG]: input.sourceVersion } : {}) };
    for (const [key, value] of Object.entries(tags)) checkTag(key, value);
    const startTime = input.startTime ?? this.clock.now().getTime();
    if (!Number.isSafeInteger(startTime)) throw new InputError('FALAJ_VALIDATION_FAILED', 'startTime must be whole epoch milliseconds');
    const id = randomBytes(16).toString('hex');
    const row = await this.db.transaction().execute(async (tx) => {
      const experiment = await this.experimentRow(tx, project, input.experimentId);
      if (experiment.lifecycle_stage !== 'active') {
        throw new NotFoundError('FALAJ_EXPERIMENT_NOT_FOUND', `experiment ${experiment.name} is deleted: restore it before starting runs in it`);
      }
      const run: RunTable = {
        id,
        project,
        experiment_id: experiment.id,
        name,
        status: 'RUNNING',
        start_time: startTime,
        end_time: null,
        lifecycle_stage: 'active',
        deleted_time: null,
        user_id: input.user ?? ctx.principal.name,
        artifact_uri: `${experiment.artifact_location}/${id}/artifacts`,
        created_by: ctx.principal.id,
      };
      await runs.insertRun(tx, run);
      await runs.upsertTags(tx, id, Object.entries(tags).map(([key, value]) => ({ key, value })));
      await this.audit.append(tx, this.entry(ctx, project, 'run.create', `run/${id}`, { experimentId: experiment.id, name }));
      return run;
    });
    return { info: toRunInfo(row), data: { params: {}, tags, metrics: {} }, inputs: [] };
  }

  async getRun(project: string, runId: string): Promise<Run> {
    const row = await runs.findRun(this.db, project, runId);
    if (!row) throw runNotFound(project, runId);
    return assembleRuns([row], await runs.runRows(this.db, [runId]))[0]!;
  }

  /** Status, end time and name (MLflow's `runs/update`); only on active runs. */
  async updateRun(ctx: RequestContext, project: string, runId: string, input: UpdateRunInput): Promise<RunInfo> {
    if (input.name !== undefined) checkLength('run name', input.name, LIMITS.runNameLength);
    if (input.endTime !== undefined && !Number.isSafeInteger(input.endTime)) throw new InputError('FALAJ_VALIDATION_FAILED', 'endTime must be whole epoch milliseconds');
    return this.db.transaction().execute(async (tx) => {
      const before = await activeRun(tx, project, runId);
      const patch: Partial<RunTable> = {};
      if (input.status !== undefined) patch.status = input.status;
      if (input.endTime !== undefined) patch.end_time = input.endTime;
      else if (input.status && TERMINAL.has(input.status) && before.end_time === null) patch.end_time = this.clock.now().getTime();
      if (input.name !== undefined) {
        patch.name = input.name;
        await runs.upsertTags(tx, runId, [{ key: RUN_NAME_TAG, value: input.name }]);
      }
      await runs.updateRun(tx, runId, patch);
      await this.audit.append(tx, this.entry(ctx, project, 'run.update', `run/${runId}`, { before: { status: before.status, endTime: before.end_time, name: before.name }, patch: input }));
      return toRunInfo({ ...before, ...patch });
    });
  }

  async deleteRun(ctx: RequestContext, project: string, runId: string): Promise<RunInfo> {
    return this.setRunStage(ctx, project, runId, 'deleted');
  }

  async restoreRun(ctx: RequestContext, project: string, runId: string): Promise<RunInfo> {
    return this.setRunStage(ctx, project, runId, 'active');
  }

  /**
   * Runs matching a filter, in order, a page at a time, each with its params, tags,
   * latest metrics and inputs.
   */
  async searchRuns(project: string, search: RunSearch = {}): Promise<Page<Run>> {
    const limit = maxResults(search.maxResults);
    const filterText = search.filter ?? '';
    const orderBy = search.orderBy ?? [];
    const viewType = search.viewType ?? 'ACTIVE_ONLY';
    const experimentIds = search.experimentIds?.length ? [...new Set(search.experimentIds)] : undefined;
    const filter = parseFilter(filterText);
    orderBy.forEach((o) => parseOrderBy(o)); // syntax errors before the page token's
    await this.projects.get(project);
    const print = fingerprint({ project, experimentIds, filterText, orderBy, viewType });
    const offset = decodePageToken(search.pageToken, print);
    const query = runSearchQuery({ project, experimentIds, filter, filterText, orderBy, viewType, limit: limit + 1, offset }, this.dialect);
    const { rows } = await query.execute(this.db);
    const page = rows.slice(0, limit);
    const items = assembleRuns(page, await runs.runRows(this.db, page.map((r) => r.id)));
    return { items, ...(rows.length > limit ? { nextPageToken: encodePageToken(offset + limit, print) } : {}) };
  }

  // ---- run data (not audited: see RunLogging)

  logBatch = (project: string, runId: string, batch: LogBatch): Promise<void> => this.logging.logBatch(project, runId, batch);
  logMetric = (project: string, runId: string, metric: Metric): Promise<void> => this.logging.logMetric(project, runId, metric);
  logParam = (project: string, runId: string, param: Param): Promise<void> => this.logging.logParam(project, runId, param);
  setTag = (project: string, runId: string, tag: Tag): Promise<void> => this.logging.setTag(project, runId, tag);
  deleteTag = (project: string, runId: string, key: string): Promise<boolean> => this.logging.deleteTag(project, runId, key);
  logInputs = (project: string, runId: string, inputs: DatasetInput[]): Promise<void> => this.logging.logInputs(project, runId, inputs);
  metricHistory = (project: string, runId: string, key: string, options?: { maxResults?: number | undefined; pageToken?: string | undefined }): Promise<Page<Metric>> =>
    this.logging.metricHistory(project, runId, key, options);

  // ---- internals

  private async insertExperiment(ctx: RequestContext, project: string, input: CreateExperimentInput, fixedMlflowId?: number): Promise<Experiment> {
    checkExperimentName(input.name);
    const tags = input.tags ?? {};
    for (const [key, value] of Object.entries(tags)) {
      checkKey('tag', key);
      checkLength(`the value of experiment tag ${key}`, value, LIMITS.experimentTagValueLength);
    }
    await this.projects.get(project);
    return this.db.transaction().execute(async (tx) => {
      await experiments.lockProjectExperiments(tx, this.dialect, project);
      if (await experiments.findExperimentByName(tx, project, input.name)) throw experimentExists(project, input.name);
      const mlflowId = fixedMlflowId ?? (await experiments.nextMlflowId(tx, project));
      if (fixedMlflowId !== undefined && (await experiments.findExperimentByMlflowId(tx, project, fixedMlflowId))) throw experimentExists(project, input.name);
      const now = this.now();
      const row: ExperimentTable = {
        id: newId('exp', this.clock.now().getTime()),
        project,
        mlflow_id: mlflowId,
        name: input.name,
        artifact_location: input.artifactLocation ?? `mlflow-artifacts:/${mlflowId}`,
        lifecycle_stage: 'active',
        created_at: now,
        created_by: ctx.principal.id,
        updated_at: now,
      };
      await experiments.insertExperiment(tx, row);
      await experiments.setExperimentTags(tx, row.id, tags);
      await this.audit.append(tx, this.entry(ctx, project, 'experiment.create', `experiment/${row.id}`, { name: row.name, mlflowId, artifactLocation: row.artifact_location }));
      return toExperiment(row, { ...tags });
    });
  }

  private async changeExperiment(
    ctx: RequestContext,
    project: string,
    id: string,
    action: string,
    change: (tx: DbOrTx, row: ExperimentTable) => Promise<Record<string, unknown>>,
  ): Promise<Experiment> {
    await this.db.transaction().execute(async (tx) => {
      const row = await this.experimentRow(tx, project, id);
      const details = await change(tx, row);
      await this.audit.append(tx, this.entry(ctx, project, action, `experiment/${id}`, { name: row.name, ...details }));
    });
    return this.getExperiment(project, id);
  }

  private async setRunStage(ctx: RequestContext, project: string, runId: string, stage: 'active' | 'deleted'): Promise<RunInfo> {
    return this.db.transaction().execute(async (tx) => {
      const row = await runs.findRun(tx, project, runId);
      if (!row) throw runNotFound(project, runId);
      const patch = { lifecycle_stage: stage, deleted_time: stage === 'deleted' ? this.clock.now().getTime() : null };
      await runs.updateRun(tx, runId, patch);
      await this.audit.append(tx, this.entry(ctx, project, stage === 'deleted' ? 'run.delete' : 'run.restore', `run/${runId}`, { experimentId: row.experiment_id, name: row.name }));
      return toRunInfo({ ...row, ...patch });
    });
  }

  private async experimentRow(db: DbOrTx, project: string, id: string): Promise<ExperimentTable> {
    const row = await experiments.findExperiment(db, project, id);
    if (!row) throw new NotFoundError('FALAJ_EXPERIMENT_NOT_FOUND', `experiment ${id} does not exist in project ${project}`);
    return row;
  }

  private async withTags(row: ExperimentTable): Promise<Experiment> {
    return toExperiment(row, (await experiments.experimentTags(this.db, [row.id])).get(row.id)!);
  }

  private entry(ctx: RequestContext, project: string, action: string, resource: string, details: Record<string, unknown>): AuditEntry {
    return { actor: ctx.principal.id, action, resource, project, outcome: 'success', requestId: ctx.requestId, details };
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

function maxResults(value: number | undefined): number {
  const n = value ?? SEARCH_DEFAULT_RESULTS;
  if (!Number.isInteger(n) || n < 1 || n > SEARCH_MAX_RESULTS) throw new InputError('FALAJ_LIMIT_EXCEEDED', `maxResults must be between 1 and ${SEARCH_MAX_RESULTS}, not ${n}`);
  return n;
}

function checkExperimentName(name: string): void {
  if (name.trim() === '') throw new InputError('FALAJ_VALIDATION_FAILED', 'an experiment needs a name');
  checkLength('experiment name', name, LIMITS.experimentNameLength);
}

function experimentExists(project: string, name: string): ConflictError {
  return new ConflictError('FALAJ_EXPERIMENT_EXISTS', `an experiment named "${name}" already exists in project ${project} (perhaps deleted: restore it, or pick another name)`);
}
