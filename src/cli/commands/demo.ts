import type { Command } from 'commander';
import { runDemo } from '../demo/run-demo.js';

/** `falaj demo`: the platform's main job, end to end, on embedded storage. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole platform on real flights data: features, training jobs, a deployment, predictions, a canary rollout (a few minutes)')
    .option('--data-dir <dir>', "the demo's own data directory (emptied first)", '.falaj-demo')
    .option('--port <port>', 'port for the demo server (0 = any free port)', (v) => Number(v), 0)
    .option('--quick', 'a smaller spine, fewer epochs and shorter canary steps (about a minute)')
    .option('--keep', 'keep the server running after the summary (Ctrl-C to stop)')
    .action(async (opts: { dataDir: string; port: number; quick?: boolean; keep?: boolean }) => {
      const started = performance.now();
      const { server } = await runDemo({ dataDir: opts.dataDir, port: opts.port, quick: opts.quick ?? false, keep: opts.keep ?? false, print: (line = '') => process.stdout.write(line + '\n') });
      process.stdout.write(`\nThe demo took ${((performance.now() - started) / 1000).toFixed(0)} s.\n`);
      if (opts.keep) {
        process.stdout.write(`Still serving on ${server.url}. Press Ctrl-C to stop.\n`);
        await new Promise<void>((done) => process.once('SIGINT', () => void server.close().then(done)));
      }
    });
}
