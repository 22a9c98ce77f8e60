// bench/tracking: the metadata database of one run of the benchmark (a SQLite file in a
// temp dir, or a fresh PostgreSQL database), and the seeding of the search experiment
// through TrackingService in this process, before the server starts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';

const ROOT = resolve(import.meta.dirname, '../..');
export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const PROJECT = 'default';

/** Small deterministic PRNG (mulberry32), so every engine gets the same data. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const LRS = ['0.1', '0.01', '0.001'];
export const TEAMS = ['risk', 'fraud', 'growth', 'ops'];
const BATCH_SIZES = ['32', '64', '128', '256'];
const OPTIMIZERS = ['adam', 'sgd'];
export const SEARCH_METRICS = 20;

/**
 * Where one engine's data lives: `url` is what the server gets as FALAJ_METADATA_URL;
 * `signingKeyFile` is shared by the seeding process and the server (one audit chain).
 */
export async function openEngine(engine) {
  const dir = mkdtempSync(join(tmpdir(), `falaj-bench-tracking-${engine}-`));
  const signingKeyFile = join(dir, 'signing-key.pem');
  if (engine === 'sqlite') {
    return {
      engine,
      dir,
      url: join(dir, 'metadata.db'),
      signingKeyFile,
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `falaj_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    dir,
    url: url.toString(),
    database: name,
    signingKeyFile,
    /** runs a statement on the maintenance connection (database-level settings) */
    admin: (text) => admin.query(text),
    async dispose() {
      try {
        await admin.query(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The env the server needs to use this engine's database and signing key. */
export const serverEnv = (eng) => ({ FALAJ_METADATA_URL: eng.url, FALAJ_SECURITY_SIGNING_KEY_FILE: eng.signingKeyFile });

/** Run i's log-batch: 20 metrics at step 0, three params, one tag. */
export function seedBatch(i, random, timestamp) {
  const metrics = [];
  for (let m = 0; m < SEARCH_METRICS; m++) metrics.push({ key: `m${m}`, value: random(), timestamp, step: 0 });
  return {
    metrics,
    params: [
      { key: 'lr', value: LRS[Math.floor(random() * LRS.length)] },
      { key: 'batch_size', value: BATCH_SIZES[i % BATCH_SIZES.length] },
      { key: 'optimizer', value: OPTIMIZERS[i % OPTIMIZERS.length] },
    ],
    tags: [{ key: 'dataset', value: `ds-${i % 10}` }],
  };
}

/**
 * A TrackingService in this process, built as src/server/services.ts builds it, on the
 * database the server uses (and its signing key: one audit chain). Only while the server
 * is not running: two audit writers would fork the chain. `relaxed` turns durability
 * down for seeding (SQLite synchronous=OFF; on PostgreSQL the caller sets
 * synchronous_commit for the database).
 */
export async function openService(eng, { poolSize = 10, relaxed = false } = {}) {
  const dist = (p) => import(join(ROOT, 'dist', p));
  const { openMetadataDatabase, migrateToLatest } = await dist('storage/metadata/index.js');
  const { TrackingService } = await dist('tracking/index.js');
  const { AuditLog, ProjectService, SYSTEM_PRINCIPAL } = await dist('security/index.js');
  const { loadOrCreateSigningKey } = await dist('core/crypto/index.js');
  const database = await openMetadataDatabase({ url: eng.url, poolSize });
  try {
    if (relaxed && eng.engine === 'sqlite') await sql`pragma synchronous = OFF`.execute(database.db);
    await migrateToLatest(database.db);
    const audit = new AuditLog(database.db, database.dialect, await loadOrCreateSigningKey(eng.signingKeyFile));
    await audit.init();
    const projects = new ProjectService(database.db, audit, ['local']); // the default config's one region
    const ctx = { principal: SYSTEM_PRINCIPAL, requestId: 'bench-tracking' };
    await projects.ensureDefault(ctx);
    const tracking = new TrackingService(database.db, database.dialect, audit, projects);
    return {
      tracking,
      createExperiment: (name) => tracking.createExperiment(ctx, PROJECT, { name }),
      createRun: (input) => tracking.createRun(ctx, PROJECT, input),
      close: () => database.close(),
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/**
 * Seeds `runs` runs (createRun, then one log-batch each) into a new experiment through
 * TrackingService in this process, before the server starts, durability relaxed
 * (restored for the server).
 */
export async function seedInProcess(eng, runs) {
  if (eng.engine === 'postgres') await eng.admin(`alter database ${eng.database} set synchronous_commit = off`);
  const concurrency = eng.engine === 'postgres' ? Number(process.env.BENCH_SEED_CONCURRENCY ?? 4) : 1;
  try {
    const service = await openService(eng, { poolSize: concurrency, relaxed: true });
    try {
      const experiment = await service.createExperiment('search-bench');
      const started = performance.now();
      const startTime = Date.now() - runs * 1000;
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = next++; i < runs; i = next++) {
            const run = await service.createRun({ experimentId: experiment.id, name: `run-${i}`, startTime: startTime + i * 1000, tags: { team: TEAMS[i % TEAMS.length] } });
            await service.tracking.logBatch(PROJECT, run.info.id, seedBatch(i, prng(i + 1), startTime + i * 1000));
          }
        }),
      );
      return { experimentId: experiment.id, runs, seconds: (performance.now() - started) / 1000 };
    } finally {
      await service.close();
    }
  } finally {
    if (eng.engine === 'postgres') await eng.admin(`alter database ${eng.database} reset synchronous_commit`);
  }
}
