import type { Command } from 'commander';
import { FalajError } from '../../core/errors/index.js';
import type { TrainingJobSpec } from '../../training/sdk/training-client.js';
import { resolve } from 'node:path';
import { withClient } from '../context.js';
import { printJson } from '../output.js';
import { followJob } from './jobs.js';

interface TrainOptions {
  service: string;
  spine: string;
  label: string;
  task: 'binary' | 'regression';
  model: 'linear' | 'mlp';
  name?: string;
  register?: string;
  epochs?: string;
  hidden?: string;
  queue?: string;
  cpu?: string;
  detach?: boolean;
}

/**
 * `falaj train`: the built-in tabular trainer as a job, without writing code: a training
 * set from a feature service and a spine, a logistic/linear model or a small MLP, metrics
 * in tracking, the ONNX model registered.
 */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model with the built-in tabular trainer (a TrainingJob with trainer: tabular) and follow it')
    .requiredOption('--service <name>', 'feature service giving the features')
    .requiredOption('--spine <file>', 'spine on the server: entity keys, event_timestamp and the label column')
    .requiredOption('--label <column>', 'the label column of the spine')
    .option('--task <task>', 'binary | regression', 'binary')
    .option('--model <model>', 'linear | mlp', 'linear')
    .option('--hidden <sizes>', 'MLP hidden layer sizes, e.g. 64,32')
    .option('--epochs <n>', 'at most this many epochs (early stopping may end sooner)')
    .option('--name <name>', 'job name (default <service>-<model>)')
    .option('--register <model>', 'register the ONNX model under this name')
    .option('--queue <queue>', 'training queue (default: default)')
    .option('--cpu <cores>', 'cores for the job (default 1)')
    .option('--detach', 'submit and print the job id without following it')
    .action((opts: TrainOptions, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        if (!['binary', 'regression'].includes(opts.task)) throw new FalajError('FALAJ_VALIDATION_FAILED', '--task must be binary or regression');
        if (!['linear', 'mlp'].includes(opts.model)) throw new FalajError('FALAJ_VALIDATION_FAILED', '--model must be linear or mlp');
        const name = opts.name ?? `${opts.service}-${opts.model}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, 'j');
        const spec: TrainingJobSpec = {
          kind: 'TrainingJob',
          name,
          trainer: {
            type: 'tabular',
            task: opts.task,
            label: opts.label,
            model: opts.model,
            ...(opts.epochs ? { epochs: Number(opts.epochs) } : {}),
            ...(opts.hidden ? { hidden: opts.hidden.split(',').map(Number) } : {}),
          } as TrainingJobSpec['trainer'],
          inputs: { trainingData: { featureService: opts.service, spine: resolve(opts.spine) } },
          ...(opts.register ? { outputs: { registerModel: { name: opts.register } } } : {}),
          ...(opts.queue ? { queue: opts.queue } : {}),
          ...(opts.cpu ? { resources: { cpu: Number(opts.cpu) } } : {}),
        };
        const job = await client.training.submit(project, spec);
        if (opts.detach) return output === 'json' ? printJson(job) : void process.stdout.write(`${job.id}\n`);
        process.stderr.write(`submitted ${job.name} as ${job.id} (run ${job.runId})\n`);
        const final = await followJob(client, project, job.id);
        if (output === 'json') printJson(final);
        else process.stderr.write(`job ${final.id} ${final.status}${final.model ? ` — model ${final.model.name} v${final.model.version}` : ''}${final.lastError && final.status !== 'succeeded' ? `: ${final.lastError.split('\n')[0]}` : ''}\n`);
        if (final.status !== 'succeeded') process.exitCode = 1;
      }),
    );
}
