import type { Kysely } from 'kysely';

/**
 * Feature store: every version of every declared object, materialization watermarks,
 * registered training datasets, and pushed rows that failed validation.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('feature_objects')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('feature_objects_pk', ['project', 'kind', 'name', 'version'])
    .execute();

  await db.schema
    .createTable('feature_watermarks')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('view', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('watermark', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('feature_watermarks_pk', ['project', 'view'])
    .execute();

  await db.schema
    .createTable('datasets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('feature_service', 'text', (c) => c.notNull())
    .addColumn('feature_service_version', 'integer', (c) => c.notNull())
    .addColumn('view_versions', 'text', (c) => c.notNull())
    .addColumn('spine_digest', 'text', (c) => c.notNull())
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('datasets_project').on('datasets').columns(['project', 'created_at']).execute();

  await db.schema
    .createTable('push_quarantine')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('push_source', 'text', (c) => c.notNull())
    .addColumn('row', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['push_quarantine', 'datasets', 'feature_watermarks', 'feature_objects']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
