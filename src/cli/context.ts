import type { Command } from 'commander';
import { FalajClient } from '../client/index.js';
import { FalajError } from '../core/errors/index.js';
import { credentialsPath, readCredentials } from './credentials.js';
import type { OutputFormat } from './output.js';

/** Options every command accepts (declared once on the root program). */
export interface GlobalOptions {
  output: OutputFormat;
  server?: string;
  token?: string;
  project?: string;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/**
 * A client from flags, then `FALAJ_SERVER` / `FALAJ_TOKEN`, then the credentials file.
 * The project defaults to the credentials file's, else `default`.
 */
export async function clientFor(command: Command): Promise<{ client: FalajClient; project: string; output: OutputFormat }> {
  const opts = globalOptions(command);
  const creds = await readCredentials();
  const server = opts.server ?? process.env.FALAJ_SERVER ?? creds.server;
  const token = opts.token ?? process.env.FALAJ_TOKEN ?? creds.token;
  if (!server || !token) {
    throw new FalajError('FALAJ_NOT_LOGGED_IN', `not logged in: run "falaj login --server URL --token T" (credentials file ${credentialsPath()})`);
  }
  const client = new FalajClient({ baseUrl: server, token, caFile: creds.caFile, certFile: creds.certFile, keyFile: creds.keyFile });
  return { client, project: opts.project ?? creds.project ?? 'default', output: opts.output };
}

/** Runs `fn` with a client for this command and closes the client afterwards. */
export async function withClient<T>(
  command: Command,
  fn: (ctx: { client: FalajClient; project: string; output: OutputFormat }) => Promise<T>,
): Promise<T> {
  const ctx = await clientFor(command);
  try {
    return await fn(ctx);
  } finally {
    ctx.client.close();
  }
}
