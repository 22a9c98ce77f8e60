import { sql } from 'kysely';
import type { DbOrTx, MetadataDialect } from '../storage/metadata/index.js';
import type { ExperimentTable } from './tracking.table.js';
import { compileExperimentFilter, compileExperimentOrder } from './search/experiment-query.js';
import type { FilterNode } from './search/search-filter.js';
import type { ViewType } from './tracking.types.js';

export async function findExperiment(db: DbOrTx, project: string, id: string): Promise<ExperimentTable | undefined> {
  return db.selectFrom('experiments').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
}

export async function findExperimentByName(db: DbOrTx, project: string, name: string): Promise<ExperimentTable | undefined> {
  return db.selectFrom('experiments').selectAll().where('project', '=', project).where('name', '=', name).executeTakeFirst();
}

export async function findExperimentByMlflowId(db: DbOrTx, project: string, mlflowId: number): Promise<ExperimentTable | undefined> {
  return db.selectFrom('experiments').selectAll().where('project', '=', project).where('mlflow_id', '=', mlflowId).executeTakeFirst();
}

/**
 * Serialises experiment creation in a project until the transaction ends, so that the
 * next MLflow id (and the name check) cannot race. PostgreSQL: a transaction-scoped
 * advisory lock; SQLite needs none, having one writer at a time.
 */
export async function lockProjectExperiments(tx: DbOrTx, dialect: MetadataDialect, project: string): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`falaj.experiments:${project}`}))`.execute(tx);
}

/** The next MLflow id of a project: one above the highest (0 is kept for "Default"). */
export async function nextMlflowId(db: DbOrTx, project: string): Promise<number> {
  const row = await db.selectFrom('experiments').select((eb) => eb.fn.max('mlflow_id').as('max')).where('project', '=', project).executeTakeFirst();
  return Number(row?.max ?? 0) + 1;
}

export async function insertExperiment(db: DbOrTx, row: ExperimentTable): Promise<void> {
  await db.insertInto('experiments').values(row).execute();
}

export async function updateExperiment(db: DbOrTx, id: string, patch: Partial<Pick<ExperimentTable, 'name' | 'lifecycle_stage' | 'updated_at'>>): Promise<void> {
  await db.updateTable('experiments').set(patch).where('id', '=', id).execute();
}

export async function setExperimentTags(db: DbOrTx, experimentId: string, tags: Record<string, string>): Promise<void> {
  const rows = Object.entries(tags).map(([key, value]) => ({ experiment_id: experimentId, key, value }));
  if (rows.length === 0) return;
  await db
    .insertInto('experiment_tags')
    .values(rows)
    .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
}

export async function deleteExperimentTag(db: DbOrTx, experimentId: string, key: string): Promise<boolean> {
  const result = await db.deleteFrom('experiment_tags').where('experiment_id', '=', experimentId).where('key', '=', key).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Tags of several experiments, by experiment id. */
export async function experimentTags(db: DbOrTx, experimentIds: string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>(experimentIds.map((id) => [id, {}]));
  if (experimentIds.length === 0) return out;
  const rows = await db.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', experimentIds).execute();
  for (const row of rows) out.get(row.experiment_id)![row.key] = row.value;
  return out;
}

export interface ExperimentQuery {
  project: string;
  filter: FilterNode | undefined;
  filterText: string;
  orderBy: string[];
  viewType: ViewType;
  limit: number;
  offset: number;
}

export async function searchExperiments(db: DbOrTx, dialect: MetadataDialect, q: ExperimentQuery): Promise<ExperimentTable[]> {
  let query = db.selectFrom('experiments as e').selectAll('e').where('e.project', '=', q.project);
  if (q.viewType !== 'ALL') query = query.where('e.lifecycle_stage', '=', q.viewType === 'ACTIVE_ONLY' ? 'active' : 'deleted');
  if (q.filter) query = query.where(compileExperimentFilter(q.filter, q.filterText, dialect));
  // MLflow's default: most recently updated first; the MLflow id breaks ties
  const orders = q.orderBy.length > 0 ? q.orderBy.map((text) => compileExperimentOrder(text, dialect)) : [sql`${sql.ref('e.updated_at')} desc`];
  for (const order of orders) query = query.orderBy(order);
  return query.orderBy('e.mlflow_id', 'asc').limit(q.limit).offset(q.offset).execute();
}
