import type { Command } from 'commander';
import type { MaterializeEvent } from '../../client/index.js';
import { withClient } from '../context.js';
import { printJson } from '../output.js';
import { createProgress } from '../progress.js';

const n = (value: unknown) => Number(value).toLocaleString('en-US');
const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

/** `falaj materialize --start T --end T` and `falaj materialize-incremental [--end T]`. */
export function registerMaterialize(program: Command): void {
  program
    .command('materialize')
    .description('load the latest values in (start, end] into the online store')
    .requiredOption('--start <time>', 'ISO-8601 start, exclusive (e.g. 2001-01-01)')
    .requiredOption('--end <time>', 'ISO-8601 end, inclusive; aggregations are computed as of it')
    .option('--views <names>', 'only these feature views (comma-separated)', list)
    .action((opts: { start: string; end: string; views?: string[] }, command: Command) => run(command, { start: opts.start, end: opts.end, views: opts.views, incremental: false }));

  program
    .command('materialize-incremental')
    .description('continue each view from where the last run stopped (its watermark) up to --end (default now)')
    .option('--end <time>', 'ISO-8601 end (default: now)')
    .option('--views <names>', 'only these feature views (comma-separated)', list)
    .action((opts: { end?: string; views?: string[] }, command: Command) => run(command, { end: opts.end, views: opts.views, incremental: true }));
}

function run(command: Command, request: { start?: string; end?: string; views?: string[] | undefined; incremental: boolean }) {
  return withClient(command, async ({ client, output, project }) => {
    const events: MaterializeEvent[] = [];
    const progress = createProgress();
    await client.features.materialize(project, { ...request, ...(request.views ? { views: request.views } : {}) }, (e) => {
      events.push(e);
      if (output === 'json') return;
      if (e.type === 'view-start') progress.start(`${e.view} v${e.version} (${e.start} → ${e.end})`, e.total as number | undefined);
      else if (e.type === 'progress') progress.update(e.rows as number, `${n(e.written)} written, ${n(e.skipped)} not newer`);
      else if (e.type === 'view-done') progress.stop(`${e.view}: ${n(e.rows)} entities in ${(e.seconds as number).toFixed(2)} s (${n(e.written)} written, ${n(e.skipped)} not newer)`);
      else if (e.type === 'view-skipped') process.stderr.write(`${e.view}: skipped, ${e.reason}\n`);
      else if (e.type === 'done') process.stdout.write(`Materialized ${e.views} view(s) of project ${project}: ${n(e.rows)} rows.\n`);
    });
    if (output === 'json') printJson(events);
  });
}
