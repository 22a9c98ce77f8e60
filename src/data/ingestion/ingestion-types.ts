import type { DataProfile, ExpectationResult } from '../contracts.js';

/** A batch ingestion as the API shows it: a data-quality report and a dataset version. */
export interface Ingestion {
  id: string;
  project: string;
  source: string;
  sourceVersion: number;
  /** the source's data version this ingestion created (none when nothing was accepted) */
  datasetVersion: number | null;
  status: 'accepted' | 'partial' | 'rejected';
  received: number;
  accepted: number;
  quarantined: number;
  rejectedReason: string | null;
  results: ExpectationResult[];
  profile: DataProfile;
  /** SHA-256 over the accepted Parquet files: the dataset version's identity */
  sha256: string | null;
  files: string[];
  /** relative to the data directory */
  quarantineFile: string | null;
  input: { name: string; format: string; sha256: string; bytes: number };
  durationMs: number;
  createdAt: string;
  createdBy: string;
}
