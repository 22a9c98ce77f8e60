import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openMetadataDatabase, type MetadataDatabase } from '../../../src/storage/metadata/index.js';
import { MIGRATIONS } from '../../../src/storage/metadata/migrations/index.js';
import { engineUrl } from '../../helpers/engines.js';
import { createFreshDatabase, type FreshDatabase } from '../../helpers/postgres-database.js';

/**
 * Two Falaj schemas in one PostgreSQL database (parallel test files, or Falaj beside
 * another Kysely app): each must get its own migrations. Kysely's Migrator looks for its
 * bookkeeping tables in every schema unless told which one, so the second schema would
 * see the first one's tables, skip creating its own and fail.
 */
const pg = engineUrl('postgres');

describe.skipIf(!pg)('PostgreSQL migrations beside another schema', () => {
  let database: FreshDatabase;
  const opened: MetadataDatabase[] = [];

  beforeAll(async () => {
    database = await createFreshDatabase(pg!, 'falaj_schemas');
  });
  afterAll(async () => {
    for (const d of opened.splice(0)) await d.close();
    await database?.drop();
  });

  it('migrates a second schema after a first one was migrated', async () => {
    const first = await openMetadataDatabase({ url: database.url, poolSize: 2, schema: 'falaj_a' });
    opened.push(first);
    expect(await migrateToLatest(first.db)).toEqual(Object.keys(MIGRATIONS));

    const second = await openMetadataDatabase({ url: database.url, poolSize: 2, schema: 'falaj_b' });
    opened.push(second);
    expect(await migrateToLatest(second.db)).toEqual(Object.keys(MIGRATIONS));
    // and the second schema is now usable on its own
    const projects = await second.db.selectFrom('projects').selectAll().execute();
    expect(projects).toEqual([]);
  });
});
