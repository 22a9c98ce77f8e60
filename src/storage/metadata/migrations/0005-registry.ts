import type { Kysely } from 'kysely';

/**
 * Model registry: registered models, their versions (lineage, classification, signed
 * file list, ONNX signature), aliases, two-person approvals of protected alias moves,
 * and per-project registry settings. Models are keyed by (project, name); a rename
 * rewrites the name in every table in one transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('registered_models')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('classification', 'text', (c) => c.notNull())
    // the highest version number ever given: numbers are never reused after a delete
    .addColumn('last_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_models_pk', ['project', 'name'])
    .execute();
  await db.schema.createIndex('registered_models_updated').on('registered_models').columns(['project', 'updated_at']).execute();

  await db.schema
    .createTable('model_versions')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('artifact_path', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('lineage', 'text', (c) => c.notNull())
    .addColumn('classification', 'text', (c) => c.notNull())
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('signature', 'text')
    .addColumn('signature_key_id', 'text')
    .addColumn('onnx_signature', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_versions_pk', ['project', 'model', 'version'])
    .execute();
  await db.schema.createIndex('model_versions_run').on('model_versions').columns(['project', 'run_id']).execute();

  await db.schema
    .createTable('model_aliases')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_aliases_pk', ['project', 'model', 'alias'])
    .execute();

  await db.schema
    .createTable('alias_approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'text')
    // pending | approved | applied | rejected
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();
  await db.schema.createIndex('alias_approvals_status').on('alias_approvals').columns(['project', 'status', 'requested_at']).execute();

  await db.schema
    .createTable('registry_settings')
    .addColumn('project', 'text', (c) => c.primaryKey())
    .addColumn('require_approval', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['registry_settings', 'alias_approvals', 'model_aliases', 'model_versions', 'registered_models']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
