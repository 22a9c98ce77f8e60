import type { Command } from 'commander';
import { FalajError } from '../../core/errors/index.js';
import type { DeploymentSpec, DeploymentView } from '../../serving/sdk/serving-client.js';
import { withClient } from '../context.js';
import { printJson, printRecord, printRows } from '../output.js';
import { readKind } from './jobs.js';

/** `v3 100%`, `canary v4 5% / stable v3 95%`, plus mirrors. */
export function trafficLine(d: Pick<DeploymentView, 'traffic'>): string {
  return d.traffic.map((t) => `${t.variant} ${t.version !== null ? `v${t.version}` : `@${t.alias}`} ${t.mirror ? 'mirror' : `${t.weight}%`}`).join(' / ');
}

/** `falaj deploy -f deployment.yaml`. */
export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('create or update every Deployment in a YAML file (routes to model versions, A/B, canary, shadow)')
    .requiredOption('-f, --file <file>', 'YAML with one or more Deployment documents')
    .action((opts: { file: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const specs = await readKind(opts.file, 'Deployment');
        const results = [];
        for (const spec of specs) results.push(await client.serving.apply(project, spec as unknown as DeploymentSpec));
        if (output === 'json') return printJson(results);
        for (const r of results) {
          process.stdout.write(`${r.action.padEnd(9)} ${r.deployment.name}: ${trafficLine(r.deployment)} (${r.deployment.status.phase})\n`);
        }
      }),
    );
}

/** `falaj deployments list|show|promote|rollback|delete|predictions`. */
export function registerDeployments(program: Command): void {
  const deployments = program.command('deployments').description('deployments: traffic split, canary progress, promote and roll back');

  deployments
    .command('list')
    .description("the project's deployments and their traffic")
    .action((_opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const list = await client.serving.list(project);
        printRows(output, list, [
          { header: 'name', value: (d) => d.name },
          { header: 'mode', value: (d) => d.spec.mode ?? 'single' },
          { header: 'phase', value: (d) => d.status.phase },
          { header: 'traffic', value: (d) => trafficLine(d) },
          { header: 'updated', value: (d) => d.updatedAt },
        ]);
      }),
    );

  deployments
    .command('show <name>')
    .description('a deployment: traffic, canary analysis, loaded models, history')
    .action((name: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const d = await client.serving.get(project, name);
        if (output === 'json') return printJson(d);
        showDeployment(d);
      }),
    );

  deployments
    .command('promote <name>')
    .description('end a rollout in favour of a variant (default: the canary); it takes all traffic')
    .option('--variant <name>', 'the variant to promote (A/B and shadow deployments)')
    .option('--reason <text>', 'recorded in history and the audit log')
    .action((name: string, opts: { variant?: string; reason?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const d = await client.serving.promote(project, name, { ...(opts.variant ? { variant: opts.variant } : {}), ...(opts.reason ? { reason: opts.reason } : {}) });
        if (output === 'json') return printJson(d);
        process.stdout.write(`promoted: ${d.name} now serves ${trafficLine(d)}\n`);
      }),
    );

  deployments
    .command('rollback <name>')
    .description('stop a canary (stable takes all traffic) or restore the spec before the last change')
    .option('--reason <text>', 'recorded in history and the audit log')
    .action((name: string, opts: { reason?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const d = await client.serving.rollback(project, name, opts.reason ? { reason: opts.reason } : {});
        if (output === 'json') return printJson(d);
        process.stdout.write(`rolled back: ${d.name} now serves ${trafficLine(d)}\n`);
      }),
    );

  deployments
    .command('delete <name>')
    .description('delete a deployment')
    .action((name: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, project }) => {
        await client.serving.delete(project, name);
        process.stdout.write(`deleted ${name}\n`);
      }),
    );

  deployments
    .command('predictions <name>')
    .description('logged predictions, newest first (written to the offline store every few seconds)')
    .option('--limit <n>', 'how many', (v) => Number(v), 20)
    .option('--variant <name>', 'only this variant')
    .action((name: string, opts: { limit: number; variant?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const rows = await client.serving.predictions(project, name, { limit: opts.limit, ...(opts.variant ? { variant: opts.variant } : {}) });
        printRows(output, rows, [
          { header: 'time', value: (r) => new Date(Number(r.requestedAt)).toISOString() },
          { header: 'prediction', value: (r) => `${String(r.predictionId).slice(0, 8)}:${String(r.row)}` },
          { header: 'variant', value: (r) => `${String(r.variant)}${r.shadow ? ' (shadow)' : ''}` },
          { header: 'version', value: (r) => r.modelVersion },
          { header: 'status', value: (r) => r.status },
          { header: 'ms', value: (r) => Number(r.latencyMs).toFixed(2) },
          { header: 'entities', value: (r) => r.entities },
          { header: 'outputs', value: (r) => r.outputs },
        ]);
      }),
    );
}

/** `falaj predict DEPLOYMENT --entity origin=LAX --entity destination=JFK [--feature hour=7]`. */
export function registerPredict(program: Command): void {
  program
    .command('predict <deployment>')
    .description('one prediction: entity keys in, features looked up by the server, prediction out')
    .option('--entity <k=v[,k=v]>', 'entity keys (repeat or comma-separate), e.g. origin=LAX', collect)
    .option('--feature <k=v[,k=v]>', 'request-time features (numbers where they parse)', collect)
    .option('--header <k=v>', 'an HTTP header (a sticky key, e.g. x-user=alice)', collect)
    .action((deployment: string, opts: { entity?: string[]; feature?: string[]; header?: string[] }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const entities = pairs(opts.entity ?? [], '--entity', (v) => v);
        if (Object.keys(entities).length === 0) throw new FalajError('FALAJ_PREDICTION_INPUT_INVALID', 'give the entity keys: --entity key=value');
        const features = pairs(opts.feature ?? [], '--feature', numberOrText);
        const headers = pairs(opts.header ?? [], '--header', (v) => v);
        const answer = await client.serving.predict(project, deployment, { entities, ...(Object.keys(features).length ? { features } : {}) }, headers);
        if (output === 'json') return printJson(answer);
        printRecord(output, {
          deployment: answer.deployment,
          variant: answer.variant,
          model: `${answer.model} v${answer.modelVersion}`,
          ...Object.fromEntries(Object.entries(answer.predictions[0] ?? {}).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(6)) : v])),
          'prediction id': answer.predictionId,
          'latency ms': answer.latencyMs,
        });
      }),
    );
}

function showDeployment(d: DeploymentView): void {
  printRecord('table', {
    name: d.name,
    model: d.spec.model,
    mode: d.spec.mode ?? 'single',
    phase: d.status.phase,
    revision: d.revision,
    ...(d.status.rollout ? { 'canary step': `${d.status.rollout.step + 1} of ${d.spec.canary?.steps?.length ?? 4} (${d.status.rollout.weight}% since ${d.status.rollout.stepStartedAt})` } : {}),
    ...(d.replica ? { 'this replica': d.replica.ready ? 'ready' : `not ready: ${d.replica.error ?? 'loading'}` } : {}),
    updated: `${d.updatedAt} by ${d.updatedBy}`,
  });
  process.stdout.write('\ntraffic\n');
  printRows('table', d.traffic, [
    { header: 'variant', value: (t) => t.variant },
    { header: 'model', value: (t) => t.model },
    { header: 'version', value: (t) => (t.version !== null ? t.version : `@${t.alias}`) },
    { header: 'weight', value: (t) => (t.mirror ? 'mirror' : `${t.weight}%`) },
  ]);
  if (d.analysis) {
    const a = d.analysis;
    const fmt = (v: typeof a.canary) => `${v.requests} requests, errors ${v.errorRate === null ? '-' : (v.errorRate * 100).toFixed(2) + '%'}, p99 ${v.p99Ms === null ? '-' : v.p99Ms.toFixed(2) + ' ms'}`;
    process.stdout.write(`\nanalysis (this step): ${a.verdict}${a.reasons.length ? ` — ${a.reasons.join('; ')}` : ''}\n  canary: ${fmt(a.canary)}\n  stable: ${fmt(a.stable)}\n`);
  }
  if (d.replica?.models.length) {
    process.stdout.write('\nloaded on this replica\n');
    printRows('table', d.replica.models, [
      { header: 'model', value: (m) => `${m.model} v${m.version}` },
      { header: 'file', value: (m) => `${(m.bytes / 1024).toFixed(1)} KiB` },
      { header: 'resident', value: (m) => `${(m.memoryBytes / 1048576).toFixed(1)} MiB` },
      { header: 'batching', value: (m) => m.batching ?? 'off' },
    ]);
  }
  process.stdout.write('\nhistory\n');
  printRows('table', d.status.history, [
    { header: 'at', value: (h) => h.at },
    { header: 'event', value: (h) => h.event },
    { header: 'by', value: (h) => h.actor },
    { header: 'detail', value: (h) => h.detail },
  ]);
}

function collect(value: string, all: string[] = []): string[] {
  return [...all, value];
}

function pairs<T>(items: string[], flag: string, parse: (v: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const item of items) {
    for (const pair of item.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new FalajError('FALAJ_PREDICTION_INPUT_INVALID', `${flag} ${item}: use key=value[,key=value]`);
      out[pair.slice(0, eq).trim()] = parse(pair.slice(eq + 1).trim());
    }
  }
  return out;
}

function numberOrText(v: string): number | string {
  return v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
}
