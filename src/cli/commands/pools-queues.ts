import type { Command } from 'commander';
import type { ComputePoolSpec, PoolView, QueueSpec, QueueView } from '../../training/sdk/training-client.js';
import { withClient } from '../context.js';
import { printJson, printRows } from '../output.js';
import { readKind } from './jobs.js';

const res = (r: { cpuMilli: number; memoryMiB: number; gpus: number }) => `${r.cpuMilli / 1000} cpu, ${Math.round(r.memoryMiB / 1024)}Gi, ${Math.round(r.gpus * 1000) / 1000} gpu`;
const limit = (r: { cpuMilli: number; memoryMiB: number; gpus: number } | null) =>
  r === null ? '-' : res({ cpuMilli: Math.min(r.cpuMilli, 1e12), memoryMiB: Math.min(r.memoryMiB, 1e12), gpus: Math.min(r.gpus, 1e9) }).replace(/[0-9.e+]{10,}/g, '∞');

/** `falaj pools list|apply` and `falaj queues list|apply`. */
export function registerPoolsQueues(program: Command): void {
  const pools = program.command('pools').description('compute pools: executor, flavor, capacity, price (platform-wide)');
  pools
    .command('list')
    .description('every pool with its capacity and what is in use now')
    .action((_opts: unknown, command: Command) =>
      withClient(command, async ({ client, output }) => {
        const list = await client.training.listPools();
        printRows<PoolView>(output, list, [
          { header: 'name', value: (p) => p.name },
          { header: 'executor', value: (p) => p.executor },
          { header: 'flavor', value: (p) => p.flavor.name },
          { header: 'gpu', value: (p) => p.flavor.gpuModel },
          { header: 'capacity', value: (p) => p.flavor.capacity },
          { header: 'nodes', value: (p) => p.nodes },
          { header: 'total', value: (p) => res(p.capacity) },
          { header: 'used', value: (p) => res(p.used) },
          { header: 'cost/h', value: (p) => p.costPerHour },
        ]);
      }),
    );
  pools
    .command('apply')
    .description('create or update the ComputePool documents of a YAML file (admin)')
    .requiredOption('-f, --file <file>', 'YAML with ComputePool documents')
    .action((opts: { file: string }, command: Command) =>
      withClient(command, async ({ client, output }) => {
        const results = [];
        for (const spec of await readKind(opts.file, 'ComputePool')) results.push(await client.training.applyPool(spec as unknown as ComputePoolSpec));
        if (output === 'json') return printJson(results);
        for (const r of results) process.stdout.write(`${r.action.padEnd(9)} ComputePool/${r.pool.name} v${r.pool.version}\n`);
      }),
    );

  const queues = program.command('queues').description("a project's training queues: quota per flavor, cohort, usage, cost");
  queues
    .command('list')
    .description('queues with quota, usage, pending and running jobs and cost')
    .action((_opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const list = await client.training.listQueues(project);
        if (output === 'json') return printJson(list);
        const rows = list.flatMap((q) => q.flavors.map((f, i) => ({ q, f, first: i === 0 })));
        printRows<(typeof rows)[number]>(output, rows, [
          { header: 'queue', value: (r) => (r.first ? r.q.name : '') },
          { header: 'cohort', value: (r) => (r.first ? r.q.cohort : '') },
          { header: 'flavor', value: (r) => r.f.flavor },
          { header: 'quota', value: (r) => res(r.f.nominal) },
          { header: 'borrow limit', value: (r) => limit(r.f.borrowingLimit) },
          { header: 'used', value: (r) => res(r.f.used) },
          { header: 'pending', value: (r) => (r.first ? r.q.pending : '') },
          { header: 'running', value: (r) => (r.first ? r.q.running : '') },
          { header: 'cost', value: (r) => (r.first ? r.q.cost.toFixed(4) : '') },
        ]);
      }),
    );
  queues
    .command('apply')
    .description("create or update the Queue documents of a YAML file in the project (admin)")
    .requiredOption('-f, --file <file>', 'YAML with Queue documents')
    .action((opts: { file: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const results: { queue: QueueView; action: string }[] = [];
        for (const spec of await readKind(opts.file, 'Queue')) results.push(await client.training.applyQueue(project, spec as unknown as QueueSpec));
        if (output === 'json') return printJson(results);
        for (const r of results) process.stdout.write(`${r.action.padEnd(9)} Queue/${r.queue.name} v${r.queue.version}\n`);
      }),
    );
}
