import type { Command } from 'commander';
import { FalajClient } from '../../client/index.js';
import { globalOptions } from '../context.js';
import { writeCredentials } from '../credentials.js';
import { printRecord } from '../output.js';

/** `falaj login`: check a server and token, then save them for later commands. */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('save a server URL and token for the CLI (checked against the server first)')
    // --server and --token are the root program's options, which commander parses
    // wherever they stand; declared here too for `falaj login --help`, checked below
    .option('--server <url>', 'server URL, e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'API token (flj_…) or OIDC access token')
    .option('--ca <file>', 'PEM CA to trust for an HTTPS server')
    .option('--cert <file>', 'client certificate (mutual TLS)')
    .option('--key <file>', 'client key (mutual TLS)')
    .action(async (local: { ca?: string; cert?: string; key?: string }, command: Command) => {
      const { output, project, server, token } = globalOptions(command);
      if (!server) command.error("required option '--server <url>' not specified", { exitCode: 2 });
      if (!token) command.error("required option '--token <token>' not specified", { exitCode: 2 });
      const opts = { ...local, server, token };
      const client = new FalajClient({ baseUrl: opts.server, token: opts.token, caFile: opts.ca, certFile: opts.cert, keyFile: opts.key });
      try {
        const me = await client.whoami();
        const path = await writeCredentials({
          server: opts.server,
          token: opts.token,
          ...(project ? { project } : {}),
          ...(opts.ca ? { caFile: opts.ca } : {}),
          ...(opts.cert ? { certFile: opts.cert } : {}),
          ...(opts.key ? { keyFile: opts.key } : {}),
        });
        printRecord(output, { loggedIn: me.name, principal: me.id, roles: me.bindings.map((b) => `${b.role}@${b.project}`), server: opts.server, saved: path }, { ...me, server: opts.server, credentialsFile: path });
      } finally {
        client.close();
      }
    });
}
