import { sql } from 'kysely';
import type { DbOrTx } from '../../storage/metadata/index.js';
import type { RunArtifactTable } from './run-artifact.table.js';

export async function findArtifact(db: DbOrTx, project: string, runId: string, path: string): Promise<RunArtifactTable | undefined> {
  return db
    .selectFrom('run_artifacts')
    .selectAll()
    .where('project', '=', project)
    .where('run_id', '=', runId)
    .where('path', '=', path)
    .executeTakeFirst();
}

/**
 * The run's files under the directory `prefix` ('' for all). Matched with `substr`, not
 * `LIKE`: SQLite's LIKE ignores ASCII case and both treat `%`/`_` in paths as wildcards.
 * Unordered: the caller sorts, since PostgreSQL's collation may not order by code point.
 */
export async function listArtifacts(db: DbOrTx, project: string, runId: string, prefix: string): Promise<RunArtifactTable[]> {
  let query = db.selectFrom('run_artifacts').selectAll().where('project', '=', project).where('run_id', '=', runId);
  if (prefix !== '') {
    const dir = `${prefix}/`;
    // substr counts characters (code points) on both engines
    query = query.where((eb) =>
      eb.or([eb('path', '=', prefix), eb(sql<string>`substr(path, 1, ${sql.lit([...dir].length)})`, '=', dir)]),
    );
  }
  return query.execute();
}

/** Records (or re-points, when the path was logged before) a run's file. */
export async function upsertArtifact(db: DbOrTx, row: RunArtifactTable): Promise<void> {
  await db
    .insertInto('run_artifacts')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['project', 'run_id', 'path']).doUpdateSet({
        sha256: row.sha256,
        bytes: row.bytes,
        created_at: row.created_at,
        created_by: row.created_by,
      }),
    )
    .execute();
}
