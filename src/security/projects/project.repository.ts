import type { DbOrTx } from '../../storage/metadata/index.js';
import type { ProjectTable } from './project.table.js';

export async function findProject(db: DbOrTx, name: string): Promise<ProjectTable | undefined> {
  return db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listProjects(db: DbOrTx): Promise<ProjectTable[]> {
  return db.selectFrom('projects').selectAll().orderBy('name').execute();
}

/** Inserts the project; returns false when the name is taken (no exception, no half-write). */
export async function insertProject(db: DbOrTx, row: ProjectTable): Promise<boolean> {
  const result = await db
    .insertInto('projects')
    .values(row)
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function updateProject(
  db: DbOrTx,
  name: string,
  patch: Partial<Pick<ProjectTable, 'description' | 'allowed_regions' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('projects').set(patch).where('name', '=', name).execute();
}
