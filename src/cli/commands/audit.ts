import type { Command } from 'commander';
import { FalajError } from '../../core/errors/index.js';
import { withClient } from '../context.js';
import { printJson, printRows } from '../output.js';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${v} is not a non-negative integer`);
  return n;
};

/** `falaj audit list|verify`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');

  audit
    .command('list')
    .description('list audit events, oldest first (the whole log, or one project with --project)')
    .option('--after-seq <n>', 'only events after this sequence number', int)
    .option('--limit <n>', 'at most this many events (max 1000)', int, 100)
    .option('--action <action>', 'only this action, e.g. token.create')
    .option('--actor <id>', 'only this principal id')
    .action((opts: { afterSeq?: number; limit: number; action?: string; actor?: string }, command: Command) =>
      withClient(command, async ({ client, output }) => {
        // --project narrows the log; without it an admin or auditor reads all of it
        const project = command.optsWithGlobals<{ project?: string }>().project;
        const page = await client.audit.list({ ...opts, ...(project ? { project } : {}) });
        printRows(output, page.events, [
          { header: 'seq', value: (e) => e.seq },
          { header: 'time', value: (e) => e.time },
          { header: 'actor', value: (e) => e.actor },
          { header: 'action', value: (e) => e.action },
          { header: 'resource', value: (e) => e.resource },
          { header: 'outcome', value: (e) => e.outcome },
          { header: 'request', value: (e) => e.requestId },
        ], page);
      }),
    );

  audit
    .command('verify')
    .description('recompute the hash chain and check the signed head; exits 1 if broken')
    .action((_opts: unknown, command: Command) =>
      withClient(command, async ({ client, output }) => {
        const result = await client.audit.verify();
        if (output === 'json') printJson(result);
        if (!result.ok) {
          throw new FalajError('FALAJ_AUDIT_CHAIN_BROKEN', `audit chain broken at sequence ${result.firstBrokenSeq}: ${result.reason}`);
        }
        if (output === 'table') process.stdout.write(`audit chain intact: ${result.checked} events verified, head at sequence ${result.headSeq}\n`);
      }),
    );
}
