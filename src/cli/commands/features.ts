import type { Command } from 'commander';
import { stringify } from 'yaml';
import { withClient } from '../context.js';
import { printJson, printRows } from '../output.js';

/** `falaj features list|describe` (and `get`, registered with online retrieval). */
export function registerFeatures(program: Command): Command {
  const features = program.command('features').description('the feature registry and online features');

  features
    .command('list')
    .description('registered objects of the project (newest versions)')
    .option('--kind <kind>', 'Entity | BatchSource | PushSource | FeatureView | FeatureService')
    .action((opts: { kind?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        printRows(output, await client.features.list(project, opts.kind), [
          { header: 'kind', value: (o) => o.kind },
          { header: 'name', value: (o) => o.name },
          { header: 'version', value: (o) => o.version },
          { header: 'features', value: (o) => (Array.isArray(o.spec.features) ? o.spec.features.length : '') },
          { header: 'updated', value: (o) => o.createdAt },
          { header: 'description', value: (o) => o.spec.description ?? '' },
        ]);
      }),
    );

  features
    .command('describe <kind> <name>')
    .description('one object: its definition and version history')
    .action((kind: string, name: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const found = await client.features.describe(project, kind, name);
        if (output === 'json') return printJson(found);
        process.stdout.write(`# ${found.latest.kind}/${found.latest.name} v${found.latest.version} (${found.versions.length} version(s); latest by ${found.latest.createdBy} at ${found.latest.createdAt})\n`);
        process.stdout.write(stringify(found.latest.spec));
      }),
    );
  return features;
}
