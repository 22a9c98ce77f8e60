import type { DbOrTx } from '../../storage/metadata/index.js';
import type { ApiTokenTable } from './identity.table.js';

export async function insertToken(db: DbOrTx, row: ApiTokenTable): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute();
}

export async function findTokenByHash(db: DbOrTx, hash: string): Promise<ApiTokenTable | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export async function findToken(db: DbOrTx, id: string): Promise<ApiTokenTable | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listTokens(db: DbOrTx, project: string | undefined): Promise<ApiTokenTable[]> {
  let q = db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc');
  if (project !== undefined) q = q.where('project', '=', project);
  return q.execute();
}

export async function markRevoked(db: DbOrTx, id: string, at: string, by: string): Promise<void> {
  await db.updateTable('api_tokens').set({ revoked_at: at, revoked_by: by }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

export async function touchToken(db: DbOrTx, id: string, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}
