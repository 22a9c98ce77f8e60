import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A throwaway PostgreSQL database on the server of a test URL. */
export interface FreshDatabase {
  /** the given URL with its database replaced by the fresh one */
  url: string;
  name: string;
  /** drops it, closing any connection still open on it */
  drop(): Promise<void>;
}

async function onServer<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a cut connection fails the query, not the process
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates `<prefix>_<random>` on the server `url` points at: isolation that needs no
 * search_path tricks, for end-to-end tests that start a whole server.
 */
export async function createFreshDatabase(url: string, prefix = 'falaj_e2e'): Promise<FreshDatabase> {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`invalid database prefix ${prefix}`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onServer(url, (c) => c.query(`create database ${name}`));
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return {
    url: fresh.toString(),
    name,
    drop: () => onServer(url, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
