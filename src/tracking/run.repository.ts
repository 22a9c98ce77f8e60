import type { DbOrTx } from '../storage/metadata/index.js';
import type { RunInputTable, RunTable } from './tracking.table.js';
import type { Param, Tag } from './tracking.types.js';

/** IN lists are cut to this size: SQLite allows 32,766 bound values per statement. */
const IN_CHUNK = 500;

export async function findRun(db: DbOrTx, project: string, id: string): Promise<RunTable | undefined> {
  return db.selectFrom('runs').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
}

export async function insertRun(db: DbOrTx, row: RunTable): Promise<void> {
  await db.insertInto('runs').values(row).execute();
}

export async function updateRun(db: DbOrTx, id: string, patch: Partial<Omit<RunTable, 'id' | 'project' | 'experiment_id'>>): Promise<void> {
  await db.updateTable('runs').set(patch).where('id', '=', id).execute();
}

/** Soft-deletes or restores every run of an experiment (MLflow does both with the experiment). */
export async function setExperimentRunsStage(db: DbOrTx, experimentId: string, stage: 'active' | 'deleted', deletedTime: number | null): Promise<number> {
  const result = await db
    .updateTable('runs')
    .set({ lifecycle_stage: stage, deleted_time: deletedTime })
    .where('experiment_id', '=', experimentId)
    .where('lifecycle_stage', '<>', stage)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Inserts params that are not there yet; returns the keys already present (whose values
 * the caller must compare: a param never changes once written).
 */
export async function insertParams(db: DbOrTx, runId: string, params: Param[]): Promise<Map<string, string>> {
  if (params.length === 0) return new Map();
  const inserted = await db
    .insertInto('run_params')
    .values(params.map((p) => ({ run_id: runId, key: p.key, value: p.value })))
    .onConflict((oc) => oc.columns(['run_id', 'key']).doNothing())
    .returning('key')
    .execute();
  if (inserted.length === params.length) return new Map();
  const fresh = new Set(inserted.map((r) => r.key));
  const existingKeys = params.map((p) => p.key).filter((k) => !fresh.has(k));
  const rows = await db.selectFrom('run_params').select(['key', 'value']).where('run_id', '=', runId).where('key', 'in', existingKeys).execute();
  return new Map(rows.map((r) => [r.key, r.value]));
}

export async function upsertTags(db: DbOrTx, runId: string, tags: Tag[]): Promise<void> {
  if (tags.length === 0) return;
  await db
    .insertInto('run_tags')
    .values(tags.map((t) => ({ run_id: runId, key: t.key, value: t.value })))
    .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
}

export async function deleteTag(db: DbOrTx, runId: string, key: string): Promise<boolean> {
  const result = await db.deleteFrom('run_tags').where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function insertInputs(db: DbOrTx, rows: RunInputTable[]): Promise<void> {
  if (rows.length === 0) return;
  // the same dataset (name and digest) logged again for a run is kept once, as in MLflow
  await db.insertInto('run_inputs').values(rows).onConflict((oc) => oc.columns(['run_id', 'name', 'digest']).doNothing()).execute();
}

export interface RunRows {
  params: { run_id: string; key: string; value: string }[];
  tags: { run_id: string; key: string; value: string }[];
  metrics: { run_id: string; key: string; value: number; is_nan: number; step: number; timestamp: number }[];
  inputs: RunInputTable[];
}

/** Params, tags, latest metrics and inputs of several runs (a page of search results). */
export async function runRows(db: DbOrTx, runIds: string[]): Promise<RunRows> {
  const out: RunRows = { params: [], tags: [], metrics: [], inputs: [] };
  for (let i = 0; i < runIds.length; i += IN_CHUNK) {
    const ids = runIds.slice(i, i + IN_CHUNK);
    const [params, tags, metrics, inputs] = await Promise.all([
      db.selectFrom('run_params').select(['run_id', 'key', 'value']).where('run_id', 'in', ids).execute(),
      db.selectFrom('run_tags').select(['run_id', 'key', 'value']).where('run_id', 'in', ids).execute(),
      db.selectFrom('latest_metrics').selectAll().where('run_id', 'in', ids).execute(),
      db.selectFrom('run_inputs').selectAll().where('run_id', 'in', ids).execute(),
    ]);
    out.params.push(...params);
    out.tags.push(...tags);
    out.metrics.push(...metrics);
    out.inputs.push(...inputs);
  }
  return out;
}
