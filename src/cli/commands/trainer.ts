import type { Command } from 'commander';
import { runTrainerFromEnv } from '../../training/trainer/index.js';

/**
 * `falaj trainer run` (hidden): the process of a `trainer: { type: tabular }` training job.
 * It reads the FALAJ_* variables the platform sets (see docs/built-in-trainer.md) and exits
 * with the trainer's code: 0 done, 1 failed, 2 bad spec or data, 143 stopped by SIGTERM.
 */
export function registerTrainer(program: Command): void {
  const trainer = program.command('trainer', { hidden: true }).description('built-in trainers, run by training jobs');
  trainer
    .command('run')
    .description('run the built-in tabular trainer from the FALAJ_* environment of a training job')
    .action(async () => {
      process.exitCode = await runTrainerFromEnv(process.env);
    });
}
