import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseAllDocuments, stringify } from 'yaml';
import { FalajError } from '../../core/errors/index.js';
import type { JobView, TrainingJobSpec } from '../../training/sdk/training-client.js';
import type { FalajClient } from '../../client/index.js';
import { withClient } from '../context.js';
import { printJson, printRecord, printRows } from '../output.js';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** The documents of a YAML file with a given `kind`; relative spine paths become absolute against the file. */
export async function readKind(file: string, kind: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  const docs = parseAllDocuments(text);
  const out: Record<string, unknown>[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new FalajError('FALAJ_VALIDATION_FAILED', `${file}: ${doc.errors[0]!.message.split('\n')[0]}`);
    const spec = doc.toJSON() as Record<string, unknown> | null;
    if (!spec || spec.kind !== kind) continue;
    const data = (spec.inputs as { trainingData?: { spine?: string } } | undefined)?.trainingData;
    if (data?.spine && !isAbsolute(data.spine)) data.spine = resolve(dirname(file), data.spine);
    out.push(spec);
  }
  if (out.length === 0) throw new FalajError('FALAJ_VALIDATION_FAILED', `${file} holds no ${kind} document`);
  return out;
}

const seconds = (job: JobView) => {
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  return `${Math.round((end - Date.parse(job.submittedAt)) / 1000)}s`;
};
const money = (n: number) => n.toFixed(4);

/** Follows the job's attempts' logs to stdout until it finishes; returns the final job. */
export async function followJob(client: FalajClient, project: string, id: string): Promise<JobView> {
  let attempt = 0;
  for (;;) {
    const job = await client.training.get(project, id);
    if (job.attempts > attempt) {
      attempt += 1;
      if (job.attempts > 1 || attempt > 1) process.stderr.write(`--- attempt ${attempt} ---\n`);
      await client.training.logs(project, id, (c) => process.stdout.write(c), { attempt, follow: true });
      continue;
    }
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `falaj jobs submit|list|show|logs|cancel|render`. */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('training jobs: submit, watch, cancel; scheduled onto compute pools within queue quotas');

  jobs
    .command('submit')
    .description('submit every TrainingJob in a YAML file')
    .requiredOption('-f, --file <file>', 'YAML with one or more TrainingJob documents')
    .option('--follow', 'stream the logs until the job ends (exit 1 if it fails)')
    .action((opts: { file: string; follow?: boolean }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const specs = await readKind(opts.file, 'TrainingJob');
        const submitted: JobView[] = [];
        for (const spec of specs) submitted.push(await client.training.submit(project, spec as unknown as TrainingJobSpec));
        if (output === 'json' && !opts.follow) return printJson(submitted);
        for (const j of submitted) process.stderr.write(`submitted ${j.name} as ${j.id} (queue ${j.queue}, run ${j.runId})\n`);
        if (opts.follow) {
          for (const j of submitted) {
            const final = await followJob(client, project, j.id);
            process.stderr.write(`job ${final.id} ${final.status}${final.model ? ` — model ${final.model.name} v${final.model.version}` : ''}\n`);
            if (final.status !== 'succeeded') process.exitCode = 1;
          }
        } else if (output !== 'json') for (const j of submitted) process.stdout.write(`${j.id}\n`);
      }),
    );

  jobs
    .command('list')
    .description("the project's jobs, newest first")
    .option('--status <status>', STATUSES.join('|'))
    .option('--queue <name>', 'only this queue')
    .action((opts: { status?: string; queue?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        if (opts.status && !STATUSES.includes(opts.status)) throw new FalajError('FALAJ_VALIDATION_FAILED', `--status must be one of ${STATUSES.join(', ')}`);
        const list = await client.training.list(project, { ...(opts.status ? { status: opts.status as never } : {}), ...(opts.queue ? { queue: opts.queue } : {}) });
        printRows(output, list, [
          { header: 'id', value: (j) => j.id },
          { header: 'name', value: (j) => j.name },
          { header: 'queue', value: (j) => j.queue },
          { header: 'status', value: (j) => j.status },
          { header: 'priority', value: (j) => j.priority },
          { header: 'attempts', value: (j) => j.attempts },
          { header: 'age', value: seconds },
          { header: 'cost', value: (j) => money(j.cost) },
          { header: 'waiting', value: (j) => (j.status === 'queued' ? j.waitingReason : null) },
        ]);
      }),
    );

  jobs
    .command('show <id>')
    .description('a job with its attempts (where each ran, how it ended, what it cost)')
    .action((id: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const job = await client.training.get(project, id);
        if (output === 'json') return printJson(job);
        printRecord(output, {
          id: job.id,
          name: job.name,
          queue: job.queue,
          status: job.status,
          priority: job.priority,
          run: job.runId,
          submitted: `${job.submittedAt} by ${job.createdBy}`,
          finished: job.finishedAt,
          failures: job.failures,
          waiting: job.waitingReason,
          'last error': job.lastError,
          dataset: job.datasetId,
          model: job.model ? `${job.model.name} v${job.model.version ?? '-'}` : null,
          cost: money(job.cost),
        });
        process.stdout.write('\n');
        printRows(output, job.attemptList ?? [], [
          { header: 'attempt', value: (a) => a.attempt },
          { header: 'pool', value: (a) => a.pool },
          { header: 'node', value: (a) => a.node },
          { header: 'cpu', value: (a) => a.cpuMilli / 1000 },
          { header: 'gpus', value: (a) => a.gpuIndices },
          { header: 'state', value: (a) => a.state },
          { header: 'outcome', value: (a) => a.outcome },
          { header: 'started', value: (a) => a.startedAt },
          { header: 'ended', value: (a) => a.endedAt },
          { header: 'cost', value: (a) => money(a.cost) },
          { header: 'message', value: (a) => a.message },
        ]);
      }),
    );

  jobs
    .command('logs <id>')
    .description("an attempt's output (default: the latest); -f follows until the job ends")
    .option('-f, --follow', 'keep streaming, through retries, until the job ends')
    .option('--attempt <n>', 'a given attempt', (v) => Number(v))
    .action((id: string, opts: { follow?: boolean; attempt?: number }, command: Command) =>
      withClient(command, async ({ client, project }) => {
        if (opts.follow && !opts.attempt) {
          const final = await followJob(client, project, id);
          if (final.status !== 'succeeded') process.exitCode = 1;
          return;
        }
        await client.training.logs(project, id, (c) => process.stdout.write(c), { ...(opts.attempt ? { attempt: opts.attempt } : {}), follow: opts.follow ?? false });
      }),
    );

  jobs
    .command('cancel <id>')
    .description('cancel a job: a running attempt gets SIGTERM, its grace period, then SIGKILL')
    .action((id: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const job = await client.training.cancel(project, id);
        if (output === 'json') return printJson(job);
        process.stdout.write(`cancelling ${job.id} (${job.name}, was ${job.status})\n`);
      }),
    );

  jobs
    .command('render')
    .description('print the Kubernetes Job manifest a TrainingJob would get on a pool')
    .requiredOption('-f, --file <file>', 'YAML with a TrainingJob')
    .requiredOption('--pool <name>', 'a kubernetes compute pool')
    .action((opts: { file: string; pool: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const [spec] = await readKind(opts.file, 'TrainingJob');
        const manifest = await client.training.render(project, spec as unknown as TrainingJobSpec, opts.pool);
        if (output === 'json') return printJson(manifest);
        const docs = Array.isArray(manifest) ? manifest : [manifest];
        process.stdout.write(docs.map((d) => stringify(d)).join('---\n'));
      }),
    );
}
