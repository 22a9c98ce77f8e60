import type { Kysely } from 'kysely';
import type { Db, DbOrTx } from '../../storage/metadata/index.js';
import type { DeploymentTable, ServingStatsTable } from './deployment.table.js';
import type { Deployment } from './deployment-types.js';
import type { VariantWindow } from './canary-analysis.js';
import { addHistograms, emptyHistogram } from './latency-histogram.js';

export function toDeployment(row: DeploymentTable): Deployment {
  return {
    project: row.project,
    name: row.name,
    revision: Number(row.revision),
    spec: JSON.parse(row.spec),
    status: JSON.parse(row.status),
    previousSpec: row.previous_spec ? JSON.parse(row.previous_spec) : null,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export async function findDeployment(db: DbOrTx, project: string, name: string): Promise<DeploymentTable | undefined> {
  return db.selectFrom('deployments').selectAll().where('project', '=', project).where('name', '=', name).executeTakeFirst();
}

export async function listDeployments(db: DbOrTx, project?: string): Promise<DeploymentTable[]> {
  let q = db.selectFrom('deployments').selectAll();
  if (project !== undefined) q = q.where('project', '=', project);
  return q.orderBy('project').orderBy('name').execute();
}

/** Every deployment's revision: what a replica compares to know what to reload. */
export async function listRevisions(db: DbOrTx): Promise<{ project: string; name: string; revision: number }[]> {
  const rows = await db.selectFrom('deployments').select(['project', 'name', 'revision']).execute();
  return rows.map((r) => ({ ...r, revision: Number(r.revision) }));
}

export async function insertDeployment(db: DbOrTx, row: DeploymentTable): Promise<void> {
  await db.insertInto('deployments').values(row).execute();
}

/** Writes a new spec/status only if the row is still at `revision` (optimistic: two controllers never both win). */
export async function updateDeployment(
  db: DbOrTx,
  project: string,
  name: string,
  revision: number,
  patch: Partial<Pick<DeploymentTable, 'spec' | 'status' | 'previous_spec' | 'updated_at' | 'updated_by'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('deployments')
    .set({ ...patch, revision: revision + 1 })
    .where('project', '=', project)
    .where('name', '=', name)
    .where('revision', '=', revision)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteDeployment(db: DbOrTx, project: string, name: string): Promise<void> {
  await db.deleteFrom('deployments').where('project', '=', project).where('name', '=', name).execute();
  await db.deleteFrom('serving_stats').where('project', '=', project).where('deployment', '=', name).execute();
}

export async function insertStats(db: Kysely<Db>, rows: ServingStatsTable[]): Promise<void> {
  if (rows.length) await db.insertInto('serving_stats').values(rows).execute();
}

/** Sums every replica's counts per variant for windows ending after `since`. */
export async function variantWindows(db: DbOrTx, project: string, deployment: string, since: string): Promise<Map<string, VariantWindow>> {
  const rows = await db
    .selectFrom('serving_stats')
    .select(['variant', 'requests', 'errors', 'latency'])
    .where('project', '=', project)
    .where('deployment', '=', deployment)
    .where('window_end', '>', since)
    .execute();
  const out = new Map<string, VariantWindow>();
  for (const row of rows) {
    const w = out.get(row.variant) ?? { requests: 0, errors: 0, latency: emptyHistogram() };
    w.requests += Number(row.requests);
    w.errors += Number(row.errors);
    addHistograms(w.latency, JSON.parse(row.latency) as number[]);
    out.set(row.variant, w);
  }
  return out;
}

export async function pruneStats(db: DbOrTx, before: string): Promise<void> {
  await db.deleteFrom('serving_stats').where('window_end', '<', before).execute();
}
