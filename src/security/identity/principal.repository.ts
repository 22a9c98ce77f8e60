import type { DbOrTx } from '../../storage/metadata/index.js';
import { isRole, type RoleBinding } from '../rbac/index.js';
import type { PrincipalTable } from './identity.table.js';

export async function insertPrincipal(db: DbOrTx, row: PrincipalTable): Promise<void> {
  await db.insertInto('principals').values(row).execute();
}

export async function findPrincipal(db: DbOrTx, id: string): Promise<PrincipalTable | undefined> {
  return db.selectFrom('principals').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findPrincipalBySubject(db: DbOrTx, issuer: string, subject: string): Promise<PrincipalTable | undefined> {
  return db.selectFrom('principals').selectAll().where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
}

export async function insertBinding(db: DbOrTx, principalId: string, binding: RoleBinding, createdBy: string, createdAt: string): Promise<void> {
  await db
    .insertInto('role_bindings')
    .values({ principal_id: principalId, project: binding.project, role: binding.role, created_at: createdAt, created_by: createdBy })
    .onConflict((oc) => oc.columns(['principal_id', 'project', 'role']).doNothing())
    .execute();
}

export async function bindingsOf(db: DbOrTx, principalId: string): Promise<RoleBinding[]> {
  const rows = await db.selectFrom('role_bindings').select(['project', 'role']).where('principal_id', '=', principalId).execute();
  return rows.filter((r) => isRole(r.role)).map((r) => ({ project: r.project, role: r.role as RoleBinding['role'] }));
}

export async function hasGlobalAdmin(db: DbOrTx): Promise<boolean> {
  const row = await db
    .selectFrom('role_bindings')
    .select('principal_id')
    .where('project', '=', '*')
    .where('role', '=', 'admin')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
