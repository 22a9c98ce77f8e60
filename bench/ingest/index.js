// bench/ingest: the 3,000,000 flights ingested through Falaj's batch validation
// (ingestBatch: types, required columns, between, regex, unique, batch checks, a profile,
// date-partitioned Parquet out, a quarantine file) beside the floor: a plain DuckDB COPY
// of the same file, date-partitioned as ingestion writes it, and unpartitioned.
// Target: falaj within 2-3x of the partitioned COPY.
//
//   npm run build && npm run bench -- ingest [runs=3] [threads=all]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, printTable } from '../lib.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FLIGHTS = join(ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet');

const CONTRACT = {
  schema: { date: 'timestamp', delay: 'int64', distance: 'int64', origin: 'string', destination: 'string' },
  timestampField: 'date',
  required: ['date', 'origin', 'destination'],
  allowedValues: {},
  expectations: [
    { expect: 'between', column: 'delay', min: -120, max: 1500 },
    { expect: 'between', column: 'distance', min: 1, max: 6000 },
    { expect: 'regex', column: 'origin', pattern: '^[A-Z]{3}$' },
    { expect: 'regex', column: 'destination', pattern: '^[A-Z]{3}$' },
    { expect: 'unique', columns: ['date', 'origin', 'destination'], onFailure: 'warn' },
    { expect: 'max_null_fraction', column: 'delay', max: 0.01 },
    { expect: 'row_count_between', min: 1000 },
    { expect: 'mean_shift', column: 'delay', maxRelative: 0.2 },
  ],
};

export async function run(args) {
  const runs = Number(args[0] ?? 3);
  const threads = args[1] === undefined ? undefined : Number(args[1]);
  const { DuckDbEngine, fileRelation, quoteLiteral } = await import(join(ROOT, 'dist/storage/offline/index.js'));
  const { ingestBatch } = await import(join(ROOT, 'dist/data/ingest/index.js'));

  const dir = mkdtempSync(join(tmpdir(), 'falaj-bench-ingest-'));
  const engine = await DuckDbEngine.create({ threads, memoryLimit: '8GB', tempDirectory: join(dir, 'spill') });
  const [{ n: rows }] = await engine.query(`SELECT count(*) AS n FROM read_parquet(${quoteLiteral(FLIGHTS)})`);
  let outcome;
  let reference = null;
  let i = 0;
  const ingest = (contract) => async () => {
    const at = join(dir, `run-${++i}`);
    outcome = await ingestBatch(engine, {
      relation: fileRelation(FLIGHTS, 'parquet'), contract, reference, now: new Date('2001-07-02T00:00:00Z'),
      outDir: join(at, 'out'), quarantineFile: join(at, 'quarantine.parquet'), tempDir: join(at, 'tmp'),
    });
    reference = outcome.profile;
    rmSync(at, { recursive: true, force: true });
  };
  const copy = (partitioned) => async () => {
    const at = join(dir, `copy-${++i}`);
    const select = partitioned ? `SELECT *, strftime(date, '%Y-%m-%d') AS __date FROM read_parquet(${quoteLiteral(FLIGHTS)})` : `SELECT * FROM read_parquet(${quoteLiteral(FLIGHTS)})`;
    const options = partitioned ? `FORMAT parquet, PARTITION_BY (__date), FILENAME_PATTERN 'part-{uuid}'` : 'FORMAT parquet';
    await engine.query(`COPY (${select}) TO ${quoteLiteral(partitioned ? at : `${at}.parquet`)} (${options})`);
    rmSync(partitioned ? at : `${at}.parquet`, { recursive: true, force: true });
  };
  const noUnique = { ...CONTRACT, expectations: CONTRACT.expectations.filter((e) => e.expect !== 'unique') };
  const cases = [
    ['falaj ingestBatch (8 expectations, profile)', ingest(CONTRACT)],
    ['falaj ingestBatch without unique(date,origin,dest)', ingest(noUnique)],
    ['floor: DuckDB COPY, date-partitioned', copy(true)],
    ['floor: DuckDB COPY, one file', copy(false)],
  ];
  const times = cases.map(() => []);
  try {
    for (let r = 0; r < runs; r++) {
      for (let c = 0; c < cases.length; c++) {
        const started = performance.now();
        await cases[c][1]();
        times[c].push((performance.now() - started) / 1000);
      }
    }
    await ingest(CONTRACT)();
    const floor = median(times[2]);
    printTable(
      `batch ingestion: ${rows.toLocaleString('en-US')} flights, median of ${runs}, ${threads ?? 'all'} threads (target: falaj within 2-3x of the partitioned COPY)`,
      ['write', 'seconds', 'rows/s', 'this ÷ floor'],
      cases.map(([name], c) => [name, median(times[c]), rows / median(times[c]), median(times[c]) / floor]),
    );
    const failing = outcome.results.filter((r) => !r.passed).map((r) => `${r.rule} ${r.failedRows ?? r.observed}`);
    console.log(`outcome: received ${outcome.received}, accepted ${outcome.accepted}, quarantined ${outcome.quarantined}, ${outcome.files.length} files; failed rules: ${failing.join(', ') || 'none'}`);
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
