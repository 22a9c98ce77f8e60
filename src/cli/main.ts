import { Command, CommanderError, Option } from 'commander';
import { FalajApiError } from '../client/index.js';
import { FalajError } from '../core/errors/index.js';
import { registerAudit } from './commands/audit.js';
import { registerConfig } from './commands/config.js';
import { registerFeatures } from './commands/features.js';
import { registerPlanApply } from './commands/plan-apply.js';
import { registerMaterialize } from './commands/materialize.js';
import { registerDatasets } from './commands/datasets.js';
import { registerModels } from './commands/models.js';
import { registerRuns } from './commands/runs.js';
import { registerFeaturesGet } from './commands/features-get.js';
import { registerLogin } from './commands/login.js';
import { registerProjects } from './commands/projects.js';
import { registerTokens } from './commands/tokens.js';
import { registerUp } from './commands/up.js';
import { registerWhoami } from './commands/whoami.js';
import { registerJobs } from './commands/jobs.js';
import { registerPoolsQueues } from './commands/pools-queues.js';
import { registerTrain } from './commands/train.js';
import { registerTrainer } from './commands/trainer.js';
import { registerDeploy, registerDeployments, registerPredict } from './commands/deployments.js';
import { registerDemo } from './commands/demo.js';
import { registerIngest } from './commands/ingest.js';
import { registerLineage } from './commands/lineage.js';

export function buildProgram(): Command {
  const program = new Command('falaj')
    .description('Falaj: a self-hosted ML platform')
    .version('0.1.0')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--server <url>', 'server URL (default: FALAJ_SERVER, else the credentials file)')
    .option('--token <token>', 'API token (default: FALAJ_TOKEN, else the credentials file)')
    .option('-p, --project <name>', 'project (default: the credentials file, else "default")')
    // usage errors are one line too, like every other failure (no help dump on stderr)
    .configureOutput({ outputError: (message, write) => write(`falaj: ${usageLine(message)}\n`) })
    .exitOverride();
  for (const register of [registerUp, registerLogin, registerWhoami, registerProjects, registerTokens, registerAudit, registerConfig, registerPlanApply, registerMaterialize, registerDatasets, registerModels]) register(program);
  registerFeaturesGet(registerFeatures(program));
  registerRuns(program);
  registerJobs(program);
  registerPoolsQueues(program);
  registerTrain(program);
  registerTrainer(program);
  registerDeploy(program);
  registerDeployments(program);
  registerPredict(program);
  registerDemo(program);
  registerIngest(program);
  registerLineage(program);
  return program;
}

/**
 * Runs the CLI. Failures print one line, `falaj: <reason> (<CODE>)`, and exit non-zero:
 * 2 for usage errors, 1 for everything else.
 */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`falaj: ${describe(err)}\n`);
    process.exitCode = 1;
  }
}

/** Commander's `error: unknown command 'x'\n(Did you mean y?)` as one line, with a pointer to help. */
function usageLine(message: string): string {
  const text = message.replace(/^error: /, '').split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return `${text}; see "falaj --help"`;
}

function describe(err: unknown): string {
  if (err instanceof FalajApiError) return `${err.message} (${err.code}${err.status ? `, HTTP ${err.status}` : ''})`;
  if (err instanceof FalajError) return `${err.message} (${err.code})`;
  return (err as Error)?.message?.split('\n')[0] ?? String(err);
}
