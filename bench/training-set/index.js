// bench/training-set: a 1,000,000-row spine against the flights `delay_model` service
// (17 features over 3 views, 13 of them time-window aggregations), built by Falaj's
// point-in-time join, beside the same training set written by hand in DuckDB SQL (the
// floor), and a bare ASOF JOIN of the plain features alone. Target: within 1.5x.
//
//   npm run bench -- training-set [rows=1000000] [runs=3]      (server built first)
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, printTable } from '../lib.js';
import { handWrittenSql, plainAsofSql } from './hand-written.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FLIGHTS = join(ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet');

export async function run(args) {
  const rows = Number(args[0] ?? 1_000_000);
  const runs = Number(args[1] ?? 3);
  const { DuckDbEngine } = await import(join(ROOT, 'dist/storage/offline/index.js'));
  const { pointInTimeJoin } = await import(join(ROOT, 'dist/features/offline/index.js'));
  const { resolveDefinitions } = await import(join(ROOT, 'dist/features/definitions/resolve.js'));
  const { loadDefinitionFiles } = await import(join(ROOT, 'dist/cli/definition-files.js'));

  const dir = mkdtempSync(join(tmpdir(), 'falaj-bench-ts-'));
  const spine = join(dir, 'spine.parquet');
  execFileSync(process.execPath, [join(ROOT, 'examples/flights/make-spine.mjs'), String(rows), spine], { stdio: 'inherit' });
  const loaded = await loadDefinitionFiles(join(ROOT, 'examples/flights/features'));
  const defs = resolveDefinitions(loaded.objects.map((o) => ({ spec: o.spec, version: 1 })), { pushPath: () => dir });
  const service = defs.services.get('delay_model');

  const engine = await DuckDbEngine.create({ threads: 2, memoryLimit: '4GB', tempDirectory: join(dir, 'spill') });
  const cases = [
    ['falaj point-in-time join (17 features)', async () => (await pointInTimeJoin(engine, { spinePath: spine, views: service.views, outPath: join(dir, 'falaj.parquet') })).rows],
    ['floor: hand-written DuckDB (same 17 features)', async () => (await engine.query(handWrittenSql(spine, FLIGHTS, join(dir, 'hand.parquet'))))[0]?.Count],
    ['floor: bare ASOF JOIN (2 plain features only)', async () => (await engine.query(plainAsofSql(spine, FLIGHTS, join(dir, 'asof.parquet'))))[0]?.Count],
  ];
  const times = cases.map(() => []);
  try {
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < cases.length; i++) {
        const started = performance.now();
        await cases[i][1]();
        times[i].push((performance.now() - started) / 1000);
      }
    }
    const same = await engine.query(`SELECT count(*) AS n FROM (SELECT * EXCLUDE (route_last_delay, origin_delay_stddev_7d, origin_delay_mean_1d, origin_delay_mean_7d, origin_delay_mean_30d, dest_delay_mean_1d, dest_delay_mean_7d, dest_delay_mean_30d, route_delay_mean_7d, route_delay_mean_30d) FROM '${join(dir, 'falaj.parquet')}'
      EXCEPT ALL SELECT * EXCLUDE (route_last_delay, origin_delay_stddev_7d, origin_delay_mean_1d, origin_delay_mean_7d, origin_delay_mean_30d, dest_delay_mean_1d, dest_delay_mean_7d, dest_delay_mean_30d, route_delay_mean_7d, route_delay_mean_30d) FROM '${join(dir, 'hand.parquet')}')`);
    const falaj = median(times[0]);
    printTable(
      `training set: ${rows.toLocaleString('en-US')}-row spine × flights delay_model, median of ${runs} (target: falaj within 1.5x of the hand-written floor)`,
      ['build', 'seconds', 'rows/s', 'falaj ÷ this'],
      cases.map(([name], i) => [name, median(times[i]), rows / median(times[i]), falaj / median(times[i])]),
    );
    console.log(`rows that differ between falaj and the hand-written set (integer and key columns; route_last_delay left out: flights of one route in the same minute tie, and either is a correct answer): ${same[0].n}`);
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
