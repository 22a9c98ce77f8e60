import type { DbOrTx } from '../../storage/metadata/index.js';

export async function readWatermark(db: DbOrTx, project: string, view: string): Promise<{ version: number; watermark: string } | undefined> {
  return db.selectFrom('feature_watermarks').select(['version', 'watermark']).where('project', '=', project).where('view', '=', view).executeTakeFirst();
}

export async function writeWatermark(db: DbOrTx, project: string, view: string, version: number, watermark: string, now: string): Promise<void> {
  await db
    .insertInto('feature_watermarks')
    .values({ project, view, version, watermark, updated_at: now })
    .onConflict((oc) => oc.columns(['project', 'view']).doUpdateSet({ version, watermark, updated_at: now }))
    .execute();
}
