import type { Kysely } from 'kysely';

/**
 * Run artifacts: each file logged under a run, by path, with the SHA-256 and size of its
 * plaintext. The bytes live once per digest in the blob store (content-addressed).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_artifacts')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_artifacts_pk', ['project', 'run_id', 'path'])
    .execute();
  // which runs use a blob (garbage collection, "where else is this model?")
  await db.schema.createIndex('run_artifacts_sha256').on('run_artifacts').column('sha256').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_artifacts').ifExists().execute();
}
