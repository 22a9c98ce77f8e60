import type { Command } from 'commander';
import { FalajApiError, type FeaturePlan } from '../../client/index.js';
import { FalajError } from '../../core/errors/index.js';
import { withClient } from '../context.js';
import { loadDefinitionFiles } from '../definition-files.js';
import { printJson } from '../output.js';

const SYMBOL = { create: '+', update: '~', unchanged: '=', delete: '-' } as const;

/** `falaj plan -f DIR` and `falaj apply -f DIR [--prune]`, like `feast plan` / `feast apply`. */
export function registerPlanApply(program: Command): void {
  for (const verb of ['plan', 'apply'] as const) {
    program
      .command(verb)
      .description(verb === 'plan' ? 'show what apply would do, and every validation error' : 'register feature definitions (all or nothing)')
      .requiredOption('-f, --file <path>', 'a YAML file or a directory of them')
      .option('--prune', 'delete registered objects that are not in the files')
      .action((opts: { file: string; prune?: boolean }, command: Command) =>
        withClient(command, async ({ client, output, project }) => {
          const loaded = await loadDefinitionFiles(opts.file);
          let plan: FeaturePlan;
          if (loaded.errors.length > 0) {
            plan = { project, applied: false, items: [], errors: loaded.errors };
          } else {
            try {
              plan = await client.features[verb](project, loaded.objects, opts.prune ?? false);
            } catch (err) {
              // apply answers 422 with every problem; show them like plan does
              const errors = err instanceof FalajApiError ? (err.problem?.details as { errors?: FeaturePlan['errors'] } | undefined)?.errors : undefined;
              if (!errors) throw err;
              plan = { project, applied: false, items: [], errors };
            }
          }
          if (output === 'json') printJson(plan);
          else printPlan(plan, verb);
          if (plan.errors.length > 0) {
            throw new FalajError('FALAJ_FEATURE_DEFINITIONS_INVALID', `${plan.errors.length} problem(s) in the definitions; nothing was applied`);
          }
        }),
      );
  }
}

function printPlan(plan: FeaturePlan, verb: 'plan' | 'apply'): void {
  const out = (line = '') => process.stdout.write(line + '\n');
  const width = Math.max(0, ...plan.items.map((i) => `${i.kind}/${i.name}`.length));
  for (const item of plan.items) {
    const versions = item.action === 'create' ? `v${item.toVersion}` : item.action === 'update' ? `v${item.fromVersion} → v${item.toVersion}` : item.action === 'delete' ? `v${item.fromVersion} deleted` : `v${item.fromVersion}`;
    const notes = [...item.changes.filter((c) => !item.breaking.includes(c)), ...item.breaking.map((b) => `BREAKING: ${b}`)].join('; ');
    out(`${SYMBOL[item.action]} ${item.action.padEnd(9)} ${`${item.kind}/${item.name}`.padEnd(width)}  ${versions.padEnd(14)}${notes ? ' ' + notes : ''}`);
  }
  const count = (a: string) => plan.items.filter((i) => i.action === a).length;
  if (plan.errors.length > 0) {
    out();
    out(`${plan.errors.length} problem(s):`);
    for (const e of plan.errors) out(`  ${e.object}${e.origin ? ` (${e.origin})` : ''}: ${e.message}`);
    return;
  }
  out();
  const summary = `${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged`;
  out(verb === 'plan' ? `Plan: ${summary}.` : `Applied to project ${plan.project}: ${summary.replace(/to /g, '')}.`);
  const breaking = plan.items.filter((i) => i.breaking.length > 0 && i.action !== 'delete');
  if (breaking.length > 0) out(`${breaking.length} object(s) change in a breaking way: consumers of the old version keep it, new reads get the new one.`);
}
