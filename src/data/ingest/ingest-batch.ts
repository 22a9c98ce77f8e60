import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FalajError, InputError } from '../../core/errors/index.js';
import type { DuckDbEngine } from '../../storage/offline/index.js';
import type { DataProfile, IngestionOutcome, SourceContract } from '../contracts.js';
import { checkExpectations } from './check-expectations.js';
import type { IngestTables } from './ingest-sql.js';
import { judgeBatch } from './judge-batch.js';
import { writeBatch } from './write-batch.js';

/** One batch to ingest: where it comes from, the contract that judges it, where it goes. */
export interface IngestPlan {
  /** a DuckDB relation reading the input: read_parquet(...), read_csv(...), read_json(...) (see `ingestRelation`) */
  relation: string;
  contract: SourceContract;
  /** the reference profile for mean_shift / quantile_shift (the source's newest accepted profile); null on the first ingestion */
  reference: DataProfile | null;
  now: Date;
  /** where accepted rows go: written as `<outDir>/__date=YYYY-MM-DD/part-<uuid>.parquet` (same layout as pushes, so feature views read them) */
  outDir: string;
  /** one Parquet file of quarantined rows (written only when a row is quarantined) */
  quarantineFile: string;
  /** a scratch directory; the ingestion works in a folder of its own inside it and removes that folder */
  tempDir: string;
}

/**
 * Validates one batch against its source's contract and writes it: accepted rows, typed,
 * to `outDir` (hive-partitioned by event date), the rest to `quarantineFile` with their
 * reasons; a failed `reject` rule refuses the whole batch (every row to quarantine,
 * nothing to `outDir`). Everything runs as DuckDB set operations over one staged copy of
 * the input: one pass for every row rule, one query for the profile, one COPY per output.
 *
 * Rules, in the order a row's first failure is chosen:
 * - `type(col)`: a non-null raw value that does not convert to the contract's type (text
 *   and numbers both become timestamps: ISO-8601 text, or epoch milliseconds);
 * - `required(col)`: the value is null; a required column the input lacks entirely fails
 *   every row (the rows are kept in quarantine, reason "the column is missing from the input");
 * - `allowed(col)`, then the row-level expectations (nulls pass all but `not_null`; `unique`
 *   keeps the first row of each duplicate group and ignores keys with a null).
 * Batch-level expectations judge the rows that would be accepted.
 *
 * `accepted + quarantined = received`, always. On any error nothing is published to
 * `outDir` and the error is a `FalajError` (`FALAJ_OFFLINE_QUERY_FAILED` for DuckDB,
 * `FALAJ_INGESTION_FAILED` for files, `FALAJ_DATA_CONTRACT_INVALID` for a bad contract).
 *
 * @example
 * const outcome = await ingestBatch(engine, {
 *   relation: ingestRelation('/in/rides.csv', 'csv'), contract, reference: null, now: new Date(),
 *   outDir: '/data/offline/rides', quarantineFile: '/data/quarantine/ing_1.parquet', tempDir: '/data/tmp/ing_1',
 * });
 */
export async function ingestBatch(engine: DuckDbEngine, plan: IngestPlan): Promise<IngestionOutcome> {
  const problems = checkExpectations(plan.contract);
  if (problems.length > 0) {
    throw new InputError('FALAJ_DATA_CONTRACT_INVALID', `the source's contract is not valid: ${problems.join('; ')}. Fix the source definition and apply it again.`, { details: { problems } });
  }
  const id = randomUUID().replaceAll('-', '');
  const tables: IngestTables = { staged: `__falaj_ingest_${id}`, fails: `__falaj_ingest_${id}_fails` };
  const work = join(plan.tempDir, `ingest-${id}`);
  try {
    await mkdir(work, { recursive: true });
    const judged = await judgeBatch(engine, tables, plan.relation, plan.contract, plan.reference, plan.now);
    return await writeBatch(engine, tables, judged, { outDir: plan.outDir, quarantineFile: plan.quarantineFile, work, timestampField: plan.contract.timestampField });
  } catch (err) {
    if (err instanceof FalajError) throw err;
    throw new FalajError('FALAJ_INGESTION_FAILED', `batch ingestion failed and nothing was written to ${plan.outDir}: ${(err as Error).message ?? String(err)}`, { cause: err });
  } finally {
    for (const table of [tables.fails, tables.staged]) await engine.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}
