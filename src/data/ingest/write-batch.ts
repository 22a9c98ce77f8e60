import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FalajError } from '../../core/errors/index.js';
import type { DuckDbEngine } from '../../storage/offline/index.js';
import type { IngestionOutcome } from '../contracts.js';
import { copyAcceptedSql, type IngestTables } from './ingest-sql.js';
import type { Judgement } from './judge-batch.js';
import { datasetDigest, moveFile, publishFiles } from './output-files.js';
import { emptyProfile } from './profile.js';
import { copyQuarantineSql } from './quarantine-sql.js';

/** Where one batch's files go. */
export interface BatchTargets {
  outDir: string;
  quarantineFile: string;
  /** this ingestion's own scratch directory */
  work: string;
  timestampField: string;
}

/**
 * Writes a judged batch: accepted rows into `work/staging`, quarantined rows into
 * `work/quarantine.parquet`; checks the row counts DuckDB reports against the judgement;
 * then moves the quarantine file to its place and the accepted files into `outDir`. Any
 * failure before the moves leaves `outDir` as it was.
 */
export async function writeBatch(engine: DuckDbEngine, tables: IngestTables, judged: Judgement, targets: BatchTargets): Promise<IngestionOutcome> {
  const accepted = judged.rejection ? 0 : judged.received - judged.setAside;
  const quarantined = judged.received - accepted;
  const staging = join(targets.work, 'staging');
  const quarantineTemp = join(targets.work, 'quarantine.parquet');

  let written = { files: [] as string[], sha256: null as string | null };
  if (accepted > 0) {
    const [copied] = await engine.query(copyAcceptedSql(tables, judged.columns, targets.timestampField, staging));
    expectCount('accepted', Number(copied?.Count), accepted);
    written = await datasetDigest(staging);
  }
  if (quarantined > 0) {
    const sql = copyQuarantineSql(tables, judged.columns, judged.inputColumns, judged.rules, judged.rejection, quarantineTemp);
    const [copied] = await engine.query(sql);
    expectCount('quarantined', Number(copied?.Count), quarantined);
    await mkdir(dirname(targets.quarantineFile), { recursive: true });
    await moveFile(quarantineTemp, targets.quarantineFile);
  }
  try {
    await publishFiles(staging, written.files, targets.outDir);
  } catch (err) {
    if (quarantined > 0) await rm(targets.quarantineFile, { force: true });
    throw err;
  }
  return {
    received: judged.received,
    accepted,
    quarantined,
    rejected: judged.rejection ? `${judged.rejection.rule}: ${judged.rejection.message}` : null,
    results: judged.results,
    profile: judged.rejection ? emptyProfile(judged.columns) : judged.profile,
    sha256: written.sha256,
    files: written.files,
    quarantineFile: quarantined > 0 ? targets.quarantineFile : null,
  };
}

// accepted + quarantined = received is the contract's promise: a mismatch writes nothing
function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new FalajError('FALAJ_INGESTION_FAILED', `ingestion wrote ${actual} ${what} rows where it judged ${expected}: nothing was published; report this as a bug`);
  }
}
