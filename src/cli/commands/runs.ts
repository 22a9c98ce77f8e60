import type { Command } from 'commander';
import type { Run } from '../../client/index.js';
import { withClient } from '../context.js';
import { printJson, printRecord, printRows } from '../output.js';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${v} is not a positive integer`);
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];
const time = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const duration = (run: Run) => (run.info.endTime === null ? null : `${((run.info.endTime - run.info.startTime) / 1000).toFixed(1)}s`);

/** `metrics.auc DESC` → the column it adds to the list: [kind, key]. */
function orderColumn(clause: string): ['metrics' | 'params' | 'tags', string] | undefined {
  const m = /^\s*(metrics?|params?|tags?)\.(`[^`]+`|"[^"]+"|\S+)/i.exec(clause);
  if (!m) return undefined;
  const kind = m[1]!.toLowerCase().replace(/s?$/, 's') as 'metrics' | 'params' | 'tags';
  return [kind, m[2]!.replace(/^[`"]|[`"]$/g, '')];
}

function valueOf(run: Run, kind: 'metrics' | 'params' | 'tags', key: string): string | undefined {
  if (kind === 'metrics') {
    const point = run.data.metrics[key];
    return point === undefined ? undefined : String(point.value);
  }
  return run.data[kind][key];
}

/** `falaj runs list|show|compare`. */
export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('experiment runs: search, inspect and compare');

  runs
    .command('list')
    .description("search the project's runs (newest first by default)")
    .option('--experiment <name>', 'only runs of this experiment')
    .option('--filter <expr>', "MLflow filter plus or/parentheses, e.g. \"metrics.auc > 0.8 and params.lr = '0.01'\"")
    .option('--order-by <clause>', 'e.g. "metrics.auc DESC" (repeat for more keys)', collect)
    .option('--max <n>', 'at most this many runs (default 1000, at most 50000)', positive)
    .option('--page-token <token>', 'the next page of an earlier list')
    .action((opts: { experiment?: string; filter?: string; orderBy?: string[]; max?: number; pageToken?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const experimentIds = opts.experiment ? [(await client.tracking.getExperimentByName(project, opts.experiment)).id] : undefined;
        const page = await client.tracking.searchRuns(project, {
          ...(experimentIds ? { experimentIds } : {}),
          ...(opts.filter ? { filter: opts.filter } : {}),
          ...(opts.orderBy ? { orderBy: opts.orderBy } : {}),
          ...(opts.max ? { maxResults: opts.max } : {}),
          ...(opts.pageToken ? { pageToken: opts.pageToken } : {}),
        });
        const extra = (opts.orderBy ?? []).map(orderColumn).filter((c) => c !== undefined);
        printRows(output, page.runs, [
          { header: 'run id', value: (r) => r.info.id },
          { header: 'name', value: (r) => r.info.name },
          { header: 'status', value: (r) => r.info.status },
          { header: 'started', value: (r) => time(r.info.startTime) },
          { header: 'duration', value: duration },
          ...extra.map(([kind, key]) => ({ header: `${kind}.${key}`, value: (r: Run) => valueOf(r, kind, key) })),
        ], page);
        if (output === 'table' && page.nextPageToken) process.stdout.write(`more runs: add --page-token ${page.nextPageToken}\n`);
      }),
    );

  runs
    .command('show <runId>')
    .description('one run: its details, params, latest metrics and tags')
    .action((runId: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const run = await client.tracking.getRun(project, runId);
        if (output === 'json') return printJson(run);
        const { info, data } = run;
        printRecord(output, {
          run: info.id,
          name: info.name,
          experiment: info.experimentId,
          status: info.status,
          started: time(info.startTime),
          ended: time(info.endTime),
          duration: duration(run),
          user: info.user,
          stage: info.lifecycleStage,
          artifacts: info.artifactUri,
          inputs: run.inputs.map((d) => `${d.name}@${d.digest}`),
        });
        const section = (title: string, entries: [string, string][]) => {
          process.stdout.write(`\n${title}:\n`);
          if (entries.length === 0) process.stdout.write('  (none)\n');
          const width = Math.max(0, ...entries.map(([k]) => k.length));
          for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
        };
        section('params', Object.entries(data.params));
        section('metrics (latest)', Object.entries(data.metrics).map(([k, m]) => [k, `${m.value}  (step ${m.step})`]));
        section('tags', Object.entries(data.tags));
      }),
    );

  runs
    .command('compare <runIds...>')
    .description('params and latest metrics side by side; rows whose values differ are marked *')
    .action((runIds: string[], _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const found = await Promise.all(runIds.map((id) => client.tracking.getRun(project, id)));
        const rows = (['params', 'metrics'] as const).flatMap((kind) =>
          [...new Set(found.flatMap((r) => Object.keys(r.data[kind])))].sort().map((key) => {
            const values = found.map((r) => valueOf(r, kind, key));
            return { kind: kind === 'params' ? 'param' : 'metric', key, values, differs: new Set(values).size > 1 };
          }),
        );
        if (output === 'json') return printJson({ runs: found.map((r) => ({ id: r.info.id, name: r.info.name })), rows });
        printRows(output, rows, [
          { header: ' ', value: (r) => (r.differs ? '*' : '') },
          { header: 'kind', value: (r) => r.kind },
          { header: 'key', value: (r) => r.key },
          ...found.map((run, i) => ({ header: `${run.info.name} (${run.info.id.slice(0, 8)})`, value: (r: (typeof rows)[number]) => r.values[i] })),
        ]);
      }),
    );
}
