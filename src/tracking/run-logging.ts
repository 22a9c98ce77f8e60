import type { Kysely } from 'kysely';
import { ConflictError, InputError, NotFoundError } from '../core/errors/index.js';
import type { Db, DbOrTx, MetadataDialect } from '../storage/metadata/index.js';
import { latestPerKey, toMetricRow, fromMetricRow } from './latest-metric.js';
import { checkBatch, checkDatasetInput, checkKey, checkLength, LIMITS } from './limits.js';
import { MetricWriter, metricHistory } from './metric.repository.js';
import * as runs from './run.repository.js';
import type { RunTable } from './tracking.table.js';
import { DATASET_CONTEXT_TAG, RUN_NAME_TAG, type DatasetInput, type LogBatch, type Metric, type Page, type Param, type Tag } from './tracking.types.js';

export const HISTORY_PAGE_MAX = 25_000;

/**
 * Writing a run's data: metrics (append-only history plus the latest point per key),
 * params (immutable), tags (overwritable) and dataset inputs, with MLflow's rules and
 * limits. Each call is one transaction: a batch with one bad item writes nothing.
 *
 * Not audited per point, by choice: a training loop logs thousands of points a second,
 * and an audit event each would make the hash-chained log (one writer at a time) the
 * bottleneck and drown the events that matter. Creating, changing and deleting runs and
 * experiments is audited (see TrackingService); the data itself is append-only or
 * immutable, which is what makes it trustworthy.
 */
export class RunLogging {
  private readonly metrics: MetricWriter;

  constructor(
    private readonly db: Kysely<Db>,
    dialect: MetadataDialect,
  ) {
    this.metrics = new MetricWriter(dialect);
  }

  /** Metrics, params and tags in one transaction (MLflow's `log-batch`). */
  async logBatch(project: string, runId: string, batch: LogBatch): Promise<void> {
    const full = { metrics: batch.metrics ?? [], params: batch.params ?? [], tags: batch.tags ?? [] };
    checkBatch(full);
    const params = uniqueParams(full.params);
    const tags = [...new Map(full.tags.map((t) => [t.key, t])).values()]; // the last value of a key wins
    const nameTag = tags.find((t) => t.key === RUN_NAME_TAG);
    if (nameTag) checkLength('run name (tag mlflow.runName)', nameTag.value, LIMITS.runNameLength);
    const metricRows = full.metrics.map((m) => toMetricRow(runId, m));
    await this.db.transaction().execute(async (tx) => {
      await activeRun(tx, project, runId);
      const existing = await runs.insertParams(tx, runId, params);
      for (const p of params) {
        const before = existing.get(p.key);
        if (before !== undefined && before !== p.value) {
          throw new ConflictError('FALAJ_PARAM_IMMUTABLE', `param ${p.key} of run ${runId} is already "${truncate(before)}"; a param never changes once logged: log a new key or start a new run`, {
            details: { key: p.key },
          });
        }
      }
      await runs.upsertTags(tx, runId, tags);
      // MLflow keeps the run name and its mlflow.runName tag in step
      if (nameTag) await runs.updateRun(tx, runId, { name: nameTag.value });
      await this.metrics.appendHistory(tx, metricRows);
      await this.metrics.upsertLatest(tx, latestPerKey(metricRows));
    });
  }

  logMetric(project: string, runId: string, metric: Metric): Promise<void> {
    return this.logBatch(project, runId, { metrics: [metric] });
  }

  logParam(project: string, runId: string, param: Param): Promise<void> {
    return this.logBatch(project, runId, { params: [param] });
  }

  setTag(project: string, runId: string, tag: Tag): Promise<void> {
    return this.logBatch(project, runId, { tags: [tag] });
  }

  /** Removes a tag; returns whether there was one (removing a missing tag is not an error). */
  async deleteTag(project: string, runId: string, key: string): Promise<boolean> {
    checkKey('tag', key);
    return this.db.transaction().execute(async (tx) => {
      await activeRun(tx, project, runId);
      return runs.deleteTag(tx, runId, key);
    });
  }

  /** Datasets the run read, with their digests and input tags (`mlflow.data.context`). */
  async logInputs(project: string, runId: string, inputs: DatasetInput[]): Promise<void> {
    inputs.forEach(checkDatasetInput);
    await this.db.transaction().execute(async (tx) => {
      await activeRun(tx, project, runId);
      await runs.insertInputs(
        tx,
        inputs.map((d) => ({
          run_id: runId,
          name: d.name,
          digest: d.digest,
          source_type: d.sourceType,
          source: d.source,
          schema: d.schema ?? null,
          profile: d.profile ?? null,
          context: d.tags?.[DATASET_CONTEXT_TAG] ?? null,
          tags: JSON.stringify(d.tags ?? {}),
        })),
      );
    });
  }

  /** A metric's points in (step, timestamp) order, a page at a time. */
  async metricHistory(project: string, runId: string, key: string, options: { maxResults?: number | undefined; pageToken?: string | undefined } = {}): Promise<Page<Metric>> {
    const limit = options.maxResults ?? HISTORY_PAGE_MAX;
    if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_PAGE_MAX) {
      throw new InputError('FALAJ_LIMIT_EXCEEDED', `maxResults must be between 1 and ${HISTORY_PAGE_MAX}, not ${limit}`);
    }
    if (!(await runs.findRun(this.db, project, runId))) throw runNotFound(project, runId);
    const page = await metricHistory(this.db, runId, key, limit, options.pageToken);
    return { items: page.rows.map((r) => ({ key, ...fromMetricRow(r) })), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  }
}

/** The run, which must exist in the project and not be deleted (MLflow writes only to active runs). */
export async function activeRun(db: DbOrTx, project: string, runId: string): Promise<RunTable> {
  const run = await runs.findRun(db, project, runId);
  if (!run) throw runNotFound(project, runId);
  if (run.lifecycle_stage !== 'active') {
    throw new ConflictError('FALAJ_RUN_NOT_ACTIVE', `run ${runId} is deleted: restore it before writing to it`, { details: { runId, lifecycleStage: run.lifecycle_stage } });
  }
  return run;
}

export function runNotFound(project: string, runId: string): NotFoundError {
  return new NotFoundError('FALAJ_RUN_NOT_FOUND', `run ${runId} does not exist in project ${project}: see falaj runs list`);
}

/** Params of a batch, each key once; the same key twice with two values is refused (as in MLflow). */
function uniqueParams(params: Param[]): Param[] {
  const seen = new Map<string, Param>();
  for (const p of params) {
    const first = seen.get(p.key);
    if (first && first.value !== p.value) {
      throw new InputError('FALAJ_VALIDATION_FAILED', `param ${p.key} appears twice in the batch with different values ("${truncate(first.value)}", "${truncate(p.value)}")`);
    }
    seen.set(p.key, p);
  }
  return [...seen.values()];
}

const truncate = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);
