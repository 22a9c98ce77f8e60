import { Migrator, PostgresAdapter, sql, type Kysely, type MigrationProvider } from 'kysely';
import { MIGRATIONS } from './migrations/index.js';

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Brings the schema up to date. On PostgreSQL Kysely takes an advisory lock, so two
 * replicas starting together do not migrate twice, and its bookkeeping tables are pinned
 * to the current schema: left unpinned, Kysely finds them in any schema of the database
 * (another Falaj schema, another app) and skips creating its own. SQLite has one process
 * owning the file (the CLI goes through the HTTP API), so it needs no lock.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  let migrationTableSchema: string | undefined;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema;
  }
  const migrator = new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
