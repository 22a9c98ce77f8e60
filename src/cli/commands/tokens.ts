import type { Command } from 'commander';
import type { Role, TokenInfo } from '../../client/index.js';
import { withClient } from '../context.js';
import { printRecord, printRows } from '../output.js';

/** `falaj tokens create|list|revoke`. */
export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('API tokens: shown once, stored hashed');

  tokens
    .command('create')
    .description('create a token for a project (or --global) with one role')
    .requiredOption('--role <role>', 'viewer | editor | deployer | admin | auditor')
    .option('--name <name>', 'a name to recognise it by')
    .option('--expires <duration>', 'lifetime, e.g. 12h, 30d, 2w (default: no expiry)')
    .option('--global', 'platform-wide rather than for one project (global admins)')
    .action((opts: { role: Role; name?: string; expires?: string; global?: boolean }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const created = await client.tokens.create({
          project: opts.global ? '*' : project,
          role: opts.role,
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.expires ? { expiresIn: opts.expires } : {}),
        });
        printRecord(output, { token: created.token, id: created.info.id, name: created.info.name, project: created.info.project, role: created.info.role, expiresAt: created.info.expiresAt }, created);
        if (output === 'table') process.stderr.write('The token is shown once: store it now.\n');
      }),
    );

  tokens
    .command('list')
    .description("list the project's tokens (or --global: every token)")
    .option('--global', 'every token on the platform (global admins)')
    .action((opts: { global?: boolean }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        printRows(output, await client.tokens.list(opts.global ? undefined : project), COLUMNS);
      }),
    );

  tokens
    .command('revoke <id>')
    .description('revoke a token at once')
    .action((id: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output }) => {
        const info = await client.tokens.revoke(id);
        printRecord(output, { id: info.id, name: info.name, revokedAt: info.revokedAt }, info);
      }),
    );
}

const COLUMNS: { header: string; value: (t: TokenInfo) => unknown }[] = [
  { header: 'id', value: (t) => t.id },
  { header: 'name', value: (t) => t.name },
  { header: 'prefix', value: (t) => t.prefix + '…' },
  { header: 'project', value: (t) => t.project },
  { header: 'role', value: (t) => t.role },
  { header: 'expires', value: (t) => t.expiresAt },
  { header: 'revoked', value: (t) => t.revokedAt },
  { header: 'last used', value: (t) => t.lastUsedAt },
];
