declare module '../../storage/metadata/db.js' {
  interface Db {
    ingestions: IngestionTable;
    stream_dead_letters: DeadLetterTable;
  }
}

/** One batch ingestion: what came in, what was kept, what was set aside and why. */
export interface IngestionTable {
  id: string;
  project: string;
  source: string;
  source_version: number;
  /** per source: 1, 2, 3 … for each ingestion that accepted rows */
  dataset_version: number | null;
  /** accepted | partial (some rows quarantined) | rejected */
  status: string;
  received: number;
  accepted: number;
  quarantined: number;
  rejected_reason: string | null;
  /** JSON ExpectationResult[] */
  results: string;
  /** JSON DataProfile */
  profile: string;
  sha256: string | null;
  /** JSON string[]: accepted Parquet files, relative to the source's offline directory */
  files: string;
  quarantine_file: string | null;
  /** JSON: { name, format, sha256, bytes } */
  input: string;
  duration_ms: number;
  created_at: string;
  created_by: string;
}

/** A stream message that could not be ingested, with the reason. */
export interface DeadLetterTable {
  project: string;
  source: string;
  message_id: string;
  reason: string;
  /** the message as received (UTF-8 text, truncated to 64 KiB) */
  payload: string;
  received_at: string;
}
