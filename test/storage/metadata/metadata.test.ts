import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireLease,
  migrateToLatest,
  openMetadataDatabase,
  releaseLease,
  type MetadataDatabase,
} from '../../../src/storage/metadata/index.js';
import { MIGRATIONS } from '../../../src/storage/metadata/migrations/index.js';
import { engineUrl } from '../../helpers/engines.js';
import { freshSchema, type MetadataEngine } from '../../helpers/app.js';

const pg = engineUrl('postgres');
const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(pg ? [{ name: 'postgres' as const, url: pg }] : [])];
const ALL_MIGRATIONS = Object.keys(MIGRATIONS);
const FOUNDATION_TABLES = ['projects', 'principals', 'role_bindings', 'api_tokens', 'audit_events', 'audit_head', 'leases'];

describe.each(ENGINES)('metadata database on $name', (engine) => {
  let dir: string;
  let schema: string | undefined;
  let url: string;
  const opened: MetadataDatabase[] = [];

  /** Opens another handle on the same database: a second replica. */
  async function open(): Promise<MetadataDatabase> {
    const database = await openMetadataDatabase({ url, poolSize: 5, ...(schema ? { schema } : {}) });
    opened.push(database);
    return database;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-metadata-'));
    schema = engine.name === 'postgres' ? freshSchema() : undefined;
    url = engine.name === 'postgres' ? engine.url : join(dir, 'metadata.db');
  });

  afterEach(async () => {
    if (schema && opened[0]) await sql.raw(`drop schema if exists ${schema} cascade`).execute(opened[0].db);
    for (const database of opened.splice(0)) await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('migrations', () => {
    it('apply every migration on an empty database, then none a second time', async () => {
      const database = await open();
      expect(database.dialect).toBe(engine.name);
      expect(await migrateToLatest(database.db)).toEqual(ALL_MIGRATIONS);
      expect(await migrateToLatest(database.db)).toEqual([]);
      // a second replica opening the migrated database applies nothing either
      expect(await migrateToLatest((await open()).db)).toEqual([]);
    });

    it('create the foundation tables', async () => {
      const database = await open();
      await migrateToLatest(database.db);
      const tables = (await database.db.introspection.getTables()).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(FOUNDATION_TABLES));
      await database.db.insertInto('leases').values({ name: 'x', holder: 'h', expires_at: new Date().toISOString() }).execute();
      expect(await database.db.selectFrom('leases').selectAll().execute()).toHaveLength(1);
    });

    // PostgreSQL only: Kysely's SQLite migration lock is a no-op (it assumes one process
    // per SQLite file), so two handles on one file racing fail with "table already exists".
    it.skipIf(engine.name === 'sqlite')('two replicas migrating at once apply each migration exactly once', async () => {
      const [a, b] = [await open(), await open()];
      const [ranA, ranB] = await Promise.all([migrateToLatest(a.db), migrateToLatest(b.db)]);
      expect([...ranA, ...ranB].sort()).toEqual([...ALL_MIGRATIONS].sort());
      expect(await migrateToLatest(a.db)).toEqual([]);
    });

    it('never exposes a password in its location', async () => {
      const database = await open();
      await database.ping();
      expect(database.location).toContain(engine.name);
      if (engine.name === 'postgres') expect(database.location).not.toMatch(/:[^/@:]+@/);
    });
  });

  describe('leases', () => {
    const t0 = new Date('2030-01-01T00:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    let db: MetadataDatabase['db'];

    beforeEach(async () => {
      const database = await open();
      await migrateToLatest(database.db);
      db = database.db;
    });

    const holderOf = async (name: string) => (await db.selectFrom('leases').select('holder').where('name', '=', name).executeTakeFirst())?.holder;

    it('only one of two holders wins', async () => {
      expect(await acquireLease(db, 'scheduler', 'replica-a', 10_000, t0)).toBe(true);
      expect(await acquireLease(db, 'scheduler', 'replica-b', 10_000, at(1))).toBe(false);
      expect(await holderOf('scheduler')).toBe('replica-a');
    });

    it('different lease names are independent', async () => {
      expect(await acquireLease(db, 'scheduler', 'replica-a', 10_000, t0)).toBe(true);
      expect(await acquireLease(db, 'materialize', 'replica-b', 10_000, t0)).toBe(true);
    });

    it('expiry lets the other holder in, and the first then loses it', async () => {
      expect(await acquireLease(db, 'scheduler', 'replica-a', 1_000, t0)).toBe(true);
      expect(await acquireLease(db, 'scheduler', 'replica-b', 1_000, at(999))).toBe(false);
      expect(await acquireLease(db, 'scheduler', 'replica-b', 1_000, at(1_000))).toBe(true);
      expect(await holderOf('scheduler')).toBe('replica-b');
      expect(await acquireLease(db, 'scheduler', 'replica-a', 1_000, at(1_500))).toBe(false);
    });

    it('the same holder renews, which pushes the expiry out', async () => {
      expect(await acquireLease(db, 'scheduler', 'replica-a', 1_000, t0)).toBe(true);
      expect(await acquireLease(db, 'scheduler', 'replica-a', 1_000, at(900))).toBe(true);
      // without the renewal the lease would have expired at +1000
      expect(await acquireLease(db, 'scheduler', 'replica-b', 1_000, at(1_500))).toBe(false);
      expect(await acquireLease(db, 'scheduler', 'replica-b', 1_000, at(1_900))).toBe(true);
    });

    it('release by the holder frees it at once; release by another does nothing', async () => {
      expect(await acquireLease(db, 'scheduler', 'replica-a', 60_000, t0)).toBe(true);
      await releaseLease(db, 'scheduler', 'replica-b');
      expect(await acquireLease(db, 'scheduler', 'replica-b', 60_000, at(1))).toBe(false);
      await releaseLease(db, 'scheduler', 'replica-a');
      expect(await acquireLease(db, 'scheduler', 'replica-b', 60_000, at(2))).toBe(true);
    });

    it('of many replicas racing for a free lease, exactly one wins', async () => {
      const replicas = [db, (await open()).db, (await open()).db];
      const holders = Array.from({ length: 12 }, (_, i) => `replica-${i}`);
      const won = await Promise.all(holders.map((h, i) => acquireLease(replicas[i % replicas.length]!, 'race', h, 60_000, t0)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await holderOf('race')).toBe(holders[won.indexOf(true)]);
    });

    it('of many replicas racing for an expired lease, exactly one wins', async () => {
      expect(await acquireLease(db, 'race', 'old', 1_000, t0)).toBe(true);
      const replicas = [db, (await open()).db, (await open()).db];
      const holders = Array.from({ length: 12 }, (_, i) => `replica-${i}`);
      const won = await Promise.all(holders.map((h, i) => acquireLease(replicas[i % replicas.length]!, 'race', h, 60_000, at(5_000))));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await holderOf('race')).toBe(holders[won.indexOf(true)]);
    });
  });
});
