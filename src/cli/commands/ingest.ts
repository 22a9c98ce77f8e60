import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import pg from 'pg';
import { FalajError } from '../../core/errors/index.js';
import type { Ingestion } from '../../data/sdk/ingestion-client.js';
import { withClient } from '../context.js';
import { printJson, printRecord, printRows, type OutputFormat } from '../output.js';

type Format = 'parquet' | 'csv' | 'jsonl';

/** `falaj ingest SOURCE --file F` and `falaj ingestions list|show|quarantine`. */
export function registerIngest(program: Command): void {
  program
    .command('ingest <source>')
    .description('ingest a file (Parquet, CSV, JSON lines) or a PostgreSQL query into a push or stream source: validated, bad rows quarantined')
    .option('--file <file>', 'the file to ingest')
    .option('--format <format>', 'parquet | csv | jsonl (default: from the extension)')
    .option('--postgres <url>', 'read the rows from PostgreSQL instead (the query runs here, with your credentials)')
    .option('--query <sql>', 'with --postgres: the SELECT whose rows to ingest')
    .action((source: string, opts: { file?: string; format?: string; postgres?: string; query?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        if (!opts.file === !opts.postgres) throw new FalajError('FALAJ_VALIDATION_FAILED', 'give --file, or --postgres with --query');
        let dir: string | undefined;
        try {
          let path = opts.file!;
          let format = (opts.format ?? formatOf(path)) as Format;
          if (opts.postgres) {
            if (!opts.query) throw new FalajError('FALAJ_VALIDATION_FAILED', '--postgres needs --query');
            dir = await mkdtemp(join(tmpdir(), 'falaj-ingest-'));
            path = join(dir, 'query.jsonl');
            format = 'jsonl';
            const rows = await queryToJsonLines(opts.postgres, opts.query, path);
            process.stderr.write(`read ${rows.toLocaleString('en-US')} rows from PostgreSQL\n`);
          }
          if (!['parquet', 'csv', 'jsonl'].includes(format)) throw new FalajError('FALAJ_VALIDATION_FAILED', '--format must be parquet, csv or jsonl');
          const report = await client.ingestion.ingest(project, source, path, { format, name: opts.postgres ? 'postgres query' : basename(path) });
          printReport(output, report);
          if (report.status === 'rejected') process.exitCode = 1;
        } finally {
          if (dir) await rm(dir, { recursive: true, force: true });
        }
      }),
    );

  const ingestions = program.command('ingestions').description('batch ingestions: quality reports, quarantined rows');
  ingestions
    .command('list')
    .description('ingestions, newest first')
    .option('--source <name>', 'only this source')
    .option('--limit <n>', 'how many', (v) => Number(v), 50)
    .action((opts: { source?: string; limit: number }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        printRows(output, await client.ingestion.list(project, { ...(opts.source ? { source: opts.source } : {}), limit: opts.limit }), [
          { header: 'id', value: (i) => i.id },
          { header: 'source', value: (i) => i.source },
          { header: 'status', value: (i) => i.status },
          { header: 'received', value: (i) => i.received },
          { header: 'accepted', value: (i) => i.accepted },
          { header: 'quarantined', value: (i) => i.quarantined },
          { header: 'version', value: (i) => (i.datasetVersion === null ? '-' : `v${i.datasetVersion}`) },
          { header: 'created', value: (i) => i.createdAt },
        ]);
      }),
    );
  ingestions
    .command('show <id>')
    .description('one ingestion: expectation results and the data-quality profile')
    .action((id: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => printReport(output, await client.ingestion.get(project, id), true)),
    );
  ingestions
    .command('quarantine <id>')
    .description('the rows an ingestion set aside, with the rule and value that failed')
    .option('--limit <n>', 'how many', (v) => Number(v), 20)
    .action((id: string, opts: { limit: number }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const rows = await client.ingestion.quarantine(project, id, opts.limit);
        printRows(output, rows, [
          { header: 'row', value: (r) => r.__row },
          { header: 'reason', value: (r) => r.__reason },
          { header: 'data', value: (r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('__'))) },
        ]);
      }),
    );
}

/** Prints an ingestion's report: counts, every rule, the dataset version; with `profile`, the column profile. */
export function printReport(output: OutputFormat, report: Ingestion, profile = false): void {
  if (output === 'json') return printJson(report);
  printRecord(output, {
    ingestion: report.id,
    source: `${report.source} (definition v${report.sourceVersion})`,
    status: report.status + (report.rejectedReason ? `: ${report.rejectedReason}` : ''),
    rows: `${report.received} received = ${report.accepted} accepted + ${report.quarantined} quarantined`,
    'dataset version': report.datasetVersion === null ? '-' : `v${report.datasetVersion} sha256:${report.sha256}`,
    input: `${report.input.name} (${report.input.format}, ${report.input.bytes} bytes, sha256:${report.input.sha256.slice(0, 16)}…)`,
    seconds: (report.durationMs / 1000).toFixed(2),
  });
  if (report.results.length) {
    process.stdout.write('\nchecks\n');
    printRows('table', report.results, [
      { header: 'rule', value: (r) => r.rule },
      { header: 'on failure', value: (r) => r.action },
      { header: 'result', value: (r) => (r.passed ? 'passed' : 'FAILED') },
      { header: 'rows', value: (r) => r.failedRows ?? '' },
      { header: 'detail', value: (r) => r.message },
    ]);
  }
  if (report.quarantined > 0) process.stdout.write(`\nsee the quarantined rows: falaj ingestions quarantine ${report.id}\n`);
  if (profile && report.profile.columns.length) {
    process.stdout.write('\nprofile (accepted rows)\n');
    printRows('table', report.profile.columns, [
      { header: 'column', value: (c) => c.column },
      { header: 'type', value: (c) => c.type },
      { header: 'count', value: (c) => c.count },
      { header: 'nulls', value: (c) => c.nulls },
      { header: 'min', value: (c) => short(c.min) },
      { header: 'max', value: (c) => short(c.max) },
      { header: 'mean', value: (c) => short(c.mean) },
      { header: 'p50', value: (c) => short(c.quantiles?.p50 ?? null) },
      { header: 'distinct', value: (c) => c.distinct },
    ]);
  }
}

function short(v: number | string | null): string {
  if (v === null) return '-';
  return typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(6) : String(v);
}

function formatOf(path: string): Format {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (/\.(jsonl|ndjson|json)$/.test(lower)) return 'jsonl';
  return 'parquet';
}

/** Runs the query in a read-only transaction with a server-side cursor, writing JSON lines: no table is held in memory. */
async function queryToJsonLines(url: string, query: string, path: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const out = createWriteStream(path);
  let rows = 0;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`DECLARE falaj_ingest NO SCROLL CURSOR FOR ${query}`);
    for (;;) {
      const batch = await client.query('FETCH 10000 FROM falaj_ingest');
      if (batch.rows.length === 0) break;
      const text = batch.rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).join('\n') + '\n';
      if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
      rows += batch.rows.length;
    }
    await client.query('COMMIT');
  } finally {
    await new Promise<void>((r) => out.end(() => r()));
    await client.end();
  }
  return rows;
}
