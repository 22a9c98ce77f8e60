declare module '../../storage/metadata/db.js' {
  interface Db {
    run_artifacts: RunArtifactTable;
  }
}

/** A file logged under a run, mapped to the content-addressed blob holding its bytes. */
export interface RunArtifactTable {
  project: string;
  run_id: string;
  /** `/`-separated path inside the run */
  path: string;
  /** SHA-256 of the plaintext, lowercase hex: the blob is `cas/<sha256[0..2]>/<sha256>` */
  sha256: string;
  /** plaintext size */
  bytes: number;
  created_at: string;
  created_by: string;
}
