import type { DbOrTx } from '../../storage/metadata/index.js';
import type { DatasetTable } from '../registry/feature-registry.table.js';

export async function insertDataset(db: DbOrTx, row: DatasetTable): Promise<void> {
  await db.insertInto('datasets').values(row).execute();
}

export async function findDataset(db: DbOrTx, project: string, id: string): Promise<DatasetTable | undefined> {
  return db.selectFrom('datasets').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
}

export async function listDatasets(db: DbOrTx, project: string, limit: number): Promise<DatasetTable[]> {
  return db.selectFrom('datasets').selectAll().where('project', '=', project).orderBy('created_at', 'desc').limit(limit).execute();
}
