import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExpectationResult, IngestionOutcome, SourceContract } from '../../../src/data/contracts.js';
import { ingestBatch, ingestRelation, type IngestPlan } from '../../../src/data/ingest/index.js';
import { DuckDbEngine, quoteLiteral, type Row } from '../../../src/storage/offline/index.js';

/** A real DuckDB engine and a fresh directory per test file. */
export interface IngestFixture {
  engine: DuckDbEngine;
  dir: string;
  /** writes a file under the fixture's directory and returns its path */
  file(name: string, text: string): Promise<string>;
  /** writes rows as CSV (header from the first row's keys; null → empty field) */
  csv(rows: Record<string, unknown>[]): Promise<string>;
  jsonl(rows: Record<string, unknown>[]): Promise<string>;
  /** a plan with fresh output paths; override any part */
  plan(relation: string, contract: SourceContract, overrides?: Partial<IngestPlan>): IngestPlan;
  /** plans and ingests CSV rows */
  ingestCsv(rows: Record<string, unknown>[], contract: SourceContract, overrides?: Partial<IngestPlan>): Promise<{ outcome: IngestionOutcome; plan: IngestPlan }>;
  quarantine(outcome: IngestionOutcome): Promise<Row[]>;
  /** the accepted rows under an output directory, ordered by the given column */
  accepted(outDir: string, orderBy: string): Promise<Row[]>;
  close(): Promise<void>;
}

let counter = 0;

export async function ingestFixture(): Promise<IngestFixture> {
  const engine = await DuckDbEngine.create({ threads: 2, memoryLimit: '1GB' });
  const dir = await mkdtemp(join(tmpdir(), 'falaj-ingest-'));
  const fixture: IngestFixture = {
    engine,
    dir,
    async file(name, text) {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    csv(rows) {
      const header = Object.keys(rows[0] ?? {});
      const cell = (v: unknown): string => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
      return fixture.file(`in-${++counter}.csv`, [header.join(','), ...rows.map((r) => header.map((h) => cell(r[h])).join(','))].join('\n') + '\n');
    },
    jsonl(rows) {
      return fixture.file(`in-${++counter}.jsonl`, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    },
    plan(relation, contract, overrides = {}) {
      const n = ++counter;
      return {
        relation,
        contract,
        reference: null,
        now: new Date('2024-03-02T00:00:00Z'),
        outDir: join(dir, `out-${n}`),
        quarantineFile: join(dir, `quarantine-${n}`, 'q.parquet'),
        tempDir: join(dir, `tmp-${n}`),
        ...overrides,
      };
    },
    async ingestCsv(rows, contract, overrides) {
      const plan = fixture.plan(ingestRelation(await fixture.csv(rows), 'csv'), contract, overrides);
      return { outcome: await ingestBatch(engine, plan), plan };
    },
    async quarantine(outcome) {
      if (!outcome.quarantineFile) return [];
      return engine.query(`SELECT * FROM read_parquet(${quoteLiteral(outcome.quarantineFile)}) ORDER BY __row`);
    },
    async accepted(outDir, orderBy) {
      return engine.query(`SELECT * FROM read_parquet(${quoteLiteral(`${outDir}/**/*.parquet`)}, hive_partitioning=true) ORDER BY ${orderBy}`);
    },
    async close() {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** A small contract over rides: id, fare, city, at. */
export function ridesContract(overrides: Partial<SourceContract> = {}): SourceContract {
  return {
    schema: { id: 'int64', fare: 'float64', city: 'string', at: 'timestamp' },
    timestampField: 'at',
    required: ['id'],
    allowedValues: {},
    expectations: [],
    ...overrides,
  };
}

/** Rows that pass `ridesContract()`: ids 1…n, fares 10, 11, …, two cities, two days. */
export function goodRides(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    fare: 10 + i,
    city: i % 2 === 0 ? 'doha' : 'dubai',
    at: `2024-03-0${1 + (i % 2)}T0${i % 10}:00:00Z`,
  }));
}

/** Every file under a directory (relative), for "nothing was written" checks. */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

/** The outcome's result for `rule` (e.g. `max_null_fraction(city)`), or a failure naming the rules it has. */
export function resultOf(outcome: IngestionOutcome, rule: string): ExpectationResult {
  const found = outcome.results.find((r) => r.rule === rule);
  if (!found) throw new Error(`no result for ${rule}: ${outcome.results.map((r) => r.rule).join(', ')}`);
  return found;
}
