import type { Kysely } from 'kysely';
import type { Db } from './db.js';

declare module './db.js' {
  interface Db {
    leases: { name: string; holder: string; expires_at: string };
  }
}

/**
 * Takes or renews the named lease for `holder` until `now + ttlMs`. Returns true when
 * `holder` holds it afterwards. One statement (upsert guarded by expiry or same holder),
 * so two replicas racing for it cannot both win, on SQLite and PostgreSQL alike.
 */
export async function acquireLease(db: Kysely<Db>, name: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
  const expires = new Date(now.getTime() + ttlMs).toISOString();
  const nowIso = now.toISOString();
  const result = await db
    .insertInto('leases')
    .values({ name, holder, expires_at: expires })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: expires })
        .where((eb) => eb.or([eb('leases.expires_at', '<=', nowIso), eb('leases.holder', '=', holder)])),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Gives the lease back early, if `holder` still holds it. */
export async function releaseLease(db: Kysely<Db>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}
