import type { Command } from 'commander';
import { withClient } from '../context.js';
import { printRecord } from '../output.js';

/** `falaj whoami`: who the saved credential is, and its roles. */
export function registerWhoami(program: Command): void {
  program
    .command('whoami')
    .description('show who the current credential is and its roles')
    .action((_opts: unknown, command: Command) =>
      withClient(command, async ({ client, output }) => {
        const me = await client.whoami();
        printRecord(output, { name: me.name, id: me.id, via: me.via, roles: me.bindings.map((b) => `${b.role}@${b.project}`) }, me);
      }),
    );
}
