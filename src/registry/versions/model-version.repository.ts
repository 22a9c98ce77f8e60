import type { DbOrTx, MetadataDialect } from '../../storage/metadata/index.js';
import { nameLike, tagEquals } from '../json-tags.js';
import type { ModelVersionTable } from './model-version.table.js';

export interface VersionQuery {
  /** exact model name */
  model?: string | undefined;
  /** model name pattern (case-insensitive, `%` and `_` wildcards) */
  modelLike?: string | undefined;
  runId?: string | undefined;
  tags?: Record<string, string> | undefined;
  offset: number;
  limit: number;
}

export async function insertVersion(db: DbOrTx, row: ModelVersionTable): Promise<void> {
  await db.insertInto('model_versions').values(row).execute();
}

export async function findVersion(db: DbOrTx, project: string, model: string, version: number): Promise<ModelVersionTable | undefined> {
  return db
    .selectFrom('model_versions')
    .selectAll()
    .where('project', '=', project)
    .where('model', '=', model)
    .where('version', '=', version)
    .executeTakeFirst();
}

/** The newest version; with `readyOnly`, the newest usable one. */
export async function newestVersion(db: DbOrTx, project: string, model: string, readyOnly = false): Promise<ModelVersionTable | undefined> {
  let query = db.selectFrom('model_versions').selectAll().where('project', '=', project).where('model', '=', model);
  if (readyOnly) query = query.where('status', '=', 'READY');
  return query.orderBy('version', 'desc').limit(1).executeTakeFirst();
}

export async function updateVersion(
  db: DbOrTx,
  project: string,
  model: string,
  version: number,
  patch: Partial<Pick<ModelVersionTable, 'description' | 'tags' | 'status' | 'status_message' | 'updated_at'>>,
): Promise<void> {
  await db
    .updateTable('model_versions')
    .set(patch)
    .where('project', '=', project)
    .where('model', '=', model)
    .where('version', '=', version)
    .execute();
}

/** Deletes the version and the aliases pointing at it (call inside a transaction). */
export async function deleteVersion(tx: DbOrTx, project: string, model: string, version: number): Promise<void> {
  await tx.deleteFrom('model_aliases').where('project', '=', project).where('model', '=', model).where('version', '=', version).execute();
  await tx.deleteFrom('model_versions').where('project', '=', project).where('model', '=', model).where('version', '=', version).execute();
}

export async function searchVersions(db: DbOrTx, dialect: MetadataDialect, project: string, q: VersionQuery): Promise<ModelVersionTable[]> {
  let query = db.selectFrom('model_versions').selectAll().where('project', '=', project);
  if (q.model !== undefined) query = query.where('model', '=', q.model);
  if (q.modelLike !== undefined) query = query.where(nameLike(dialect, 'model', q.modelLike));
  if (q.runId !== undefined) query = query.where('run_id', '=', q.runId);
  for (const [key, value] of Object.entries(q.tags ?? {})) query = query.where(tagEquals(dialect, 'tags', key, value));
  return query.orderBy('model', 'asc').orderBy('version', 'desc').offset(q.offset).limit(q.limit).execute();
}
