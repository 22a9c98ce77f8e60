import type { DbOrTx } from '../../storage/metadata/index.js';
import type { FeatureObjectTable } from './feature-registry.table.js';

/** The newest version of every object of a project (tombstones included). */
export async function latestObjects(db: DbOrTx, project: string): Promise<FeatureObjectTable[]> {
  const rows = await db.selectFrom('feature_objects').selectAll().where('project', '=', project).orderBy('version', 'desc').execute();
  const latest = new Map<string, FeatureObjectTable>();
  for (const row of rows) {
    const key = `${row.kind}/${row.name}`;
    if (!latest.has(key)) latest.set(key, row);
  }
  return [...latest.values()];
}

export async function objectVersions(db: DbOrTx, project: string, kind: string, name: string): Promise<FeatureObjectTable[]> {
  return db
    .selectFrom('feature_objects')
    .selectAll()
    .where('project', '=', project)
    .where('kind', '=', kind)
    .where('name', '=', name)
    .orderBy('version', 'desc')
    .execute();
}

export async function insertObject(db: DbOrTx, row: FeatureObjectTable): Promise<void> {
  await db.insertInto('feature_objects').values(row).execute();
}
