import type { DbOrTx } from '../../storage/metadata/index.js';
import type { AliasApprovalTable, ModelAliasTable, RegistrySettingsTable } from './model-alias.table.js';

export async function findAlias(db: DbOrTx, project: string, model: string, alias: string): Promise<ModelAliasTable | undefined> {
  return db.selectFrom('model_aliases').selectAll().where('project', '=', project).where('model', '=', model).where('alias', '=', alias).executeTakeFirst();
}

/** Aliases of the given models, by model then alias. */
export async function aliasesOf(db: DbOrTx, project: string, models: readonly string[]): Promise<ModelAliasTable[]> {
  if (models.length === 0) return [];
  return db.selectFrom('model_aliases').selectAll().where('project', '=', project).where('model', 'in', models).orderBy('model').orderBy('alias').execute();
}

/** Points the alias at `version`, creating it if needed (one statement on both engines). */
export async function upsertAlias(db: DbOrTx, row: ModelAliasTable): Promise<void> {
  await db
    .insertInto('model_aliases')
    .values(row)
    .onConflict((oc) => oc.columns(['project', 'model', 'alias']).doUpdateSet({ version: row.version, updated_at: row.updated_at, updated_by: row.updated_by }))
    .execute();
}

export async function deleteAlias(db: DbOrTx, project: string, model: string, alias: string): Promise<void> {
  await db.deleteFrom('model_aliases').where('project', '=', project).where('model', '=', model).where('alias', '=', alias).execute();
}

export async function insertApproval(db: DbOrTx, row: AliasApprovalTable): Promise<void> {
  await db.insertInto('alias_approvals').values(row).execute();
}

export async function findApproval(db: DbOrTx, project: string, id: string): Promise<AliasApprovalTable | undefined> {
  return db.selectFrom('alias_approvals').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
}

export async function listApprovals(db: DbOrTx, project: string, status: string | undefined, limit: number): Promise<AliasApprovalTable[]> {
  let query = db.selectFrom('alias_approvals').selectAll().where('project', '=', project);
  if (status !== undefined) query = query.where('status', '=', status);
  return query.orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/**
 * Decides a pending request. Guarded by `status = 'pending'`, so of two people deciding
 * at once exactly one wins; returns false for the other.
 */
export async function decideApproval(
  db: DbOrTx,
  project: string,
  id: string,
  patch: Pick<AliasApprovalTable, 'status' | 'approved_by' | 'approved_at'> & { note?: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('alias_approvals')
    .set(patch)
    .where('project', '=', project)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Pending requests for the same alias, which a newer request replaces. */
export async function pendingFor(db: DbOrTx, project: string, model: string, alias: string): Promise<AliasApprovalTable[]> {
  return db
    .selectFrom('alias_approvals')
    .selectAll()
    .where('project', '=', project)
    .where('model', '=', model)
    .where('alias', '=', alias)
    .where('status', '=', 'pending')
    .execute();
}

export async function findSettings(db: DbOrTx, project: string): Promise<RegistrySettingsTable | undefined> {
  return db.selectFrom('registry_settings').selectAll().where('project', '=', project).executeTakeFirst();
}

export async function upsertSettings(db: DbOrTx, row: RegistrySettingsTable): Promise<void> {
  await db
    .insertInto('registry_settings')
    .values(row)
    .onConflict((oc) => oc.column('project').doUpdateSet({ require_approval: row.require_approval, updated_at: row.updated_at, updated_by: row.updated_by }))
    .execute();
}
