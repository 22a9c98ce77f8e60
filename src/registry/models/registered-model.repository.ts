import type { DbOrTx, MetadataDialect } from '../../storage/metadata/index.js';
import { nameLike, tagEquals } from '../json-tags.js';
import type { RegisteredModelTable } from './registered-model.table.js';

export interface ModelQuery {
  nameLike?: string | undefined;
  tags?: Record<string, string> | undefined;
  orderBy: 'name' | 'createdAt' | 'updatedAt';
  descending: boolean;
  offset: number;
  limit: number;
}

export async function findModel(db: DbOrTx, project: string, name: string): Promise<RegisteredModelTable | undefined> {
  return db.selectFrom('registered_models').selectAll().where('project', '=', project).where('name', '=', name).executeTakeFirst();
}

/**
 * Reads the model row and, on PostgreSQL, locks it until the transaction ends: whoever
 * numbers a new version, moves an alias or renames the model queues here, so two
 * concurrent registrations can never take the same number. SQLite needs no row lock:
 * one connection, one writer (see `lockHead` in the audit log).
 */
export async function lockModel(tx: DbOrTx, dialect: MetadataDialect, project: string, name: string): Promise<RegisteredModelTable | undefined> {
  const query = tx.selectFrom('registered_models').selectAll().where('project', '=', project).where('name', '=', name);
  return dialect === 'postgres' ? query.forUpdate().executeTakeFirst() : query.executeTakeFirst();
}

/** Inserts the model; false when the name is taken in the project. */
export async function insertModel(db: DbOrTx, row: RegisteredModelTable): Promise<boolean> {
  const result = await db
    .insertInto('registered_models')
    .values(row)
    .onConflict((oc) => oc.columns(['project', 'name']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function updateModel(
  db: DbOrTx,
  project: string,
  name: string,
  patch: Partial<Pick<RegisteredModelTable, 'description' | 'tags' | 'classification' | 'last_version' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('registered_models').set(patch).where('project', '=', project).where('name', '=', name).execute();
}

/** Renames the model everywhere it is referenced (call inside a transaction). */
export async function renameModel(tx: DbOrTx, project: string, from: string, to: string, now: string): Promise<void> {
  await tx.updateTable('registered_models').set({ name: to, updated_at: now }).where('project', '=', project).where('name', '=', from).execute();
  for (const table of ['model_versions', 'model_aliases', 'alias_approvals'] as const) {
    await tx.updateTable(table).set({ model: to }).where('project', '=', project).where('model', '=', from).execute();
  }
}

/** Deletes the model with its versions, aliases and approval requests (call inside a transaction). */
export async function deleteModel(tx: DbOrTx, project: string, name: string): Promise<void> {
  for (const table of ['model_versions', 'model_aliases', 'alias_approvals'] as const) {
    await tx.deleteFrom(table).where('project', '=', project).where('model', '=', name).execute();
  }
  await tx.deleteFrom('registered_models').where('project', '=', project).where('name', '=', name).execute();
}

export async function searchModels(db: DbOrTx, dialect: MetadataDialect, project: string, q: ModelQuery): Promise<RegisteredModelTable[]> {
  const column = ({ name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' } as const)[q.orderBy];
  let query = db.selectFrom('registered_models').selectAll().where('project', '=', project);
  if (q.nameLike !== undefined) query = query.where(nameLike(dialect, 'name', q.nameLike));
  for (const [key, value] of Object.entries(q.tags ?? {})) query = query.where(tagEquals(dialect, 'tags', key, value));
  query = query.orderBy(column, q.descending ? 'desc' : 'asc');
  if (column !== 'name') query = query.orderBy('name', 'asc');
  return query.offset(q.offset).limit(q.limit).execute();
}

/** Highest existing version of each model. */
export async function latestVersionNumbers(db: DbOrTx, project: string, models: readonly string[]): Promise<Map<string, number>> {
  if (models.length === 0) return new Map();
  const rows = await db
    .selectFrom('model_versions')
    .select(['model', (eb) => eb.fn.max('version').as('latest')])
    .where('project', '=', project)
    .where('model', 'in', models)
    .groupBy('model')
    .execute();
  return new Map(rows.map((r) => [r.model, Number(r.latest)]));
}
