// bench/online: a `falaj up` child process on a temp data dir, the benchmark's feature
// definitions, and the users loaded into its online store through the push API.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../lib.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const PROJECT = 'default';
export const VIEWS = ['v0', 'v1', 'v2', 'v3', 'v4'];
const FEATURES_PER_VIEW = 10;
const FEATURES = VIEWS.length * FEATURES_PER_VIEW;

/** `u00000` … : the benchmark's user ids. */
export const userId = (i) => `u${String(i).padStart(5, '0')}`;

/**
 * Starts `falaj up` (SQLite online store, or Redis when `redisUrl` is given) and resolves
 * once it listens, with the admin token the first start writes to the credentials file.
 * `cpuProfDir` runs it under `node --cpu-prof`. `env` adds (or overrides) variables of the
 * child's environment last, e.g. `{ FALAJ_METADATA_URL: 'postgres://…' }`.
 */
export async function startFalaj({ redisUrl, keyPrefix, cpuProfDir, env: extraEnv = {} } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'falaj-bench-online-home-'));
  const dataDir = join(home, 'data');
  const credentialsFile = join(home, 'credentials.json');
  const port = await freePort();
  const env = {
    ...process.env,
    HOME: home,
    FALAJ_CREDENTIALS_FILE: credentialsFile,
    FALAJ_LOG_LEVEL: 'warn',
    // a push of 2,000 rows × 50 float features is ~2.5 MB of JSON
    FALAJ_SERVER_BODY_LIMIT_BYTES: String(16 * 1024 * 1024),
  };
  delete env.FALAJ_ONLINE_URL;
  delete env.FALAJ_ONLINE_KEY_PREFIX;
  if (redisUrl) Object.assign(env, { FALAJ_ONLINE_URL: redisUrl, FALAJ_ONLINE_KEY_PREFIX: keyPrefix });
  Object.assign(env, extraEnv);
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const args = [...nodeArgs, 'bin/falaj.js', 'up', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  await new Promise((resolveReady, reject) => {
    const onData = () => {
      if (output.includes('Press Ctrl-C to stop.')) {
        child.stdout.off('data', onData);
        resolveReady();
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`falaj up exited (${code}) before it was ready:\n${output}`)));
  });
  const { token } = JSON.parse(readFileSync(credentialsFile, 'utf8'));
  if (!token) throw new Error(`no admin token in ${credentialsFile}`);
  return {
    child,
    port,
    token,
    dataDir,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    /** SIGINT, then waits for the exit; removes the temp dir. */
    async stop() {
      if (child.exitCode === null) {
        await new Promise((r) => {
          child.once('exit', r);
          child.kill('SIGINT');
        });
      }
      rmSync(home, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

/** Entity `user`, push source `user_events` (f0…f49), views v0…v4 of 10 features, service `bench`. */
export function definitions() {
  const schema = { user_id: 'string', ts: 'timestamp' };
  for (let f = 0; f < FEATURES; f++) schema[`f${f}`] = 'float64';
  const views = VIEWS.map((name, v) => ({
    kind: 'FeatureView',
    name,
    entities: ['user'],
    source: 'user_events',
    features: Array.from({ length: FEATURES_PER_VIEW }, (_, k) => ({ name: `f${v * FEATURES_PER_VIEW + k}`, type: 'float64' })),
    ttl: '30d',
    online: true,
    classification: 'internal',
  }));
  return [
    { kind: 'Entity', name: 'user', joinKeys: ['user_id'], valueType: 'string' },
    { kind: 'PushSource', name: 'user_events', schema, timestampField: 'ts', classification: 'internal' },
    ...views,
    { kind: 'FeatureService', name: 'bench', features: VIEWS.map((v) => `${v}:*`) },
  ].map((spec) => ({ spec }));
}

/** Pushes one row per user (every feature set) to the online store, `batch` rows a call. */
export async function loadUsers(client, users, batch) {
  const ts = new Date(Date.now() - 3_600_000).toISOString(); // an hour old: inside the 30d TTL
  let written = 0;
  for (let start = 0; start < users; start += batch) {
    const rows = [];
    for (let i = start; i < Math.min(users, start + batch); i++) {
      const row = { user_id: userId(i), ts };
      for (let f = 0; f < FEATURES; f++) row[`f${f}`] = Math.random() * 100;
      rows.push(row);
    }
    const result = await client.features.push(PROJECT, 'user_events', rows, 'online');
    if (result.quarantined > 0) throw new Error(`push quarantined ${result.quarantined} rows: ${JSON.stringify(result.problems)}`);
    written += result.onlineWritten;
  }
  return written;
}

/** One lookup of 1 and of 100 users must return all 50 features, PRESENT. */
export async function checkAnswers(client) {
  for (const n of [1, 100]) {
    const ids = Array.from({ length: n }, (_, i) => userId(i * 7));
    const answer = await client.features.online(PROJECT, { featureService: 'bench', entities: { user_id: ids } });
    const features = answer.results.slice(1);
    const bad = features.flatMap((c) => c.statuses).filter((s) => s !== 'PRESENT').length;
    if (features.length !== FEATURES || bad > 0 || features.some((c) => c.values.length !== n)) {
      throw new Error(`online lookup of ${n} users: ${features.length} feature columns, ${bad} statuses not PRESENT`);
    }
  }
}
