declare module '../../storage/metadata/db.js' {
  interface Db {
    model_versions: ModelVersionTable;
  }
}

export interface ModelVersionTable {
  project: string;
  model: string;
  version: number;
  /** as given: `runs:/<run_id>/<path>`, or an external location */
  source: string;
  run_id: string | null;
  /** the directory (or file) inside the run that holds the model */
  artifact_path: string | null;
  /** READY | PENDING_REGISTRATION | FAILED_REGISTRATION */
  status: string;
  status_message: string | null;
  description: string;
  /** JSON object of string tags */
  tags: string;
  /** JSON {@link ModelLineage} */
  lineage: string;
  classification: string;
  /** JSON [{ name, sha256, bytes }] */
  files: string;
  /** JSON DSSE envelope over the file list; null for an external source */
  signature: string | null;
  signature_key_id: string | null;
  /** JSON {@link OnnxSignature} when the model has an `.onnx` file */
  onnx_signature: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}
