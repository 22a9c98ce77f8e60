import type { Command } from 'commander';
import { sha256File } from '../../core/crypto/index.js';
import { FalajError } from '../../core/errors/index.js';
import { withClient } from '../context.js';
import { printJson, printRecord, printRows } from '../output.js';
import { printReport } from './ingest.js';

/** `falaj datasets build|list|show`. */
export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('point-in-time-correct training sets');

  datasets
    .command('build')
    .description("join a feature service's features onto a spine, as of each row's event_timestamp")
    .requiredOption('--service <name>', 'the feature service')
    .requiredOption('--spine <file>', 'Parquet or CSV with the join key columns and event_timestamp')
    .requiredOption('--out <file>', 'where to write the training set (Parquet)')
    .option('--full-feature-names', 'name columns view__feature')
    .action((opts: { service: string; spine: string; out: string; fullFeatureNames?: boolean }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const started = performance.now();
        const dataset = await client.datasets.build(project, { featureService: opts.service, spinePath: opts.spine, fullFeatureNames: opts.fullFeatureNames ?? false });
        await client.datasets.download(project, dataset.id, opts.out);
        const digest = await sha256File(opts.out);
        if (digest !== dataset.sha256) throw new FalajError('FALAJ_CRYPTO_TAMPERED', `downloaded ${opts.out} does not match the registered SHA-256 (${dataset.sha256})`);
        printRecord(output, {
          dataset: dataset.id,
          rows: dataset.rowCount,
          out: opts.out,
          sha256: dataset.sha256,
          featureService: `${dataset.featureService} v${dataset.featureServiceVersion}`,
          views: Object.entries(dataset.viewVersions).map(([v, n]) => `${v} v${n}`),
          seconds: ((performance.now() - started) / 1000).toFixed(1),
        }, { ...dataset, out: opts.out });
      }),
    );

  datasets
    .command('list')
    .description('registered training sets of the project')
    .action((_opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        printRows(output, await client.datasets.list(project), [
          { header: 'id', value: (d) => d.id },
          { header: 'service', value: (d) => `${d.featureService} v${d.featureServiceVersion}` },
          { header: 'rows', value: (d) => d.rowCount },
          { header: 'sha256', value: (d) => d.sha256.slice(0, 16) + '…' },
          { header: 'created', value: (d) => d.createdAt },
          { header: 'by', value: (d) => d.createdBy },
        ]);
      }),
    );

  datasets
    .command('show <id-or-source>')
    .description('a training set (ds_…), or the data versions of a push or stream source with its newest quality report')
    .action((target: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        if (/^ds_[0-9a-z]{26}$/.test(target)) {
          const d = await client.datasets.get(project, target);
          return printRecord(output, { ...d, viewVersions: Object.entries(d.viewVersions).map(([v, n]) => `${v} v${n}`) }, d);
        }
        const versions = (await client.ingestion.list(project, { source: target, limit: 1000 })).filter((i) => i.datasetVersion !== null);
        if (output === 'json') return printJson(versions);
        if (versions.length === 0) return void process.stdout.write(`source ${target} has no ingested data versions yet (falaj ingest ${target} --file …)\n`);
        process.stdout.write(`data versions of source ${target}, newest first\n`);
        printRows('table', versions, [
          { header: 'version', value: (i) => `v${i.datasetVersion}` },
          { header: 'sha256', value: (i) => i.sha256 },
          { header: 'rows', value: (i) => i.accepted },
          { header: 'quarantined', value: (i) => i.quarantined },
          { header: 'ingestion', value: (i) => i.id },
          { header: 'created', value: (i) => i.createdAt },
        ]);
        process.stdout.write(`\nnewest (v${versions[0]!.datasetVersion}), the reference profile for distribution checks:\n`);
        printReport('table', versions[0]!, true);
      }),
    );
}
