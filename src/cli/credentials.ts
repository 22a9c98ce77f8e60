import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `falaj login` (or the first `falaj up`) saves for the CLI. */
export interface Credentials {
  server?: string;
  token?: string;
  project?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** `$FALAJ_CREDENTIALS_FILE`, else `$XDG_CONFIG_HOME/falaj/credentials.json`, else `~/.config/falaj/credentials.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FALAJ_CREDENTIALS_FILE) return env.FALAJ_CREDENTIALS_FILE;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'falaj', 'credentials.json');
}

export async function readCredentials(path = credentialsPath()): Promise<Credentials> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Credentials;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read credentials file ${path}: ${(err as Error).message}`);
  }
}

/** Merges `update` into the file and writes it with mode 0600 (a token is a secret). */
export async function writeCredentials(update: Credentials, path = credentialsPath()): Promise<string> {
  const merged = { ...(await readCredentials(path)), ...update };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(merged, null, 2) + '\n', { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
  return path;
}
