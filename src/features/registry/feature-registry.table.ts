declare module '../../storage/metadata/db.js' {
  interface Db {
    feature_objects: FeatureObjectTable;
    feature_watermarks: FeatureWatermarkTable;
    datasets: DatasetTable;
    push_quarantine: PushQuarantineTable;
  }
}

export interface FeatureObjectTable {
  project: string;
  kind: string;
  name: string;
  version: number;
  /** the object's spec as canonical JSON */
  spec: string;
  digest: string;
  /** 1 on a tombstone version written by `apply --prune` */
  deleted: number;
  created_at: string;
  created_by: string;
}

export interface FeatureWatermarkTable {
  project: string;
  view: string;
  version: number;
  watermark: string;
  updated_at: string;
}

export interface DatasetTable {
  id: string;
  project: string;
  feature_service: string;
  feature_service_version: number;
  view_versions: string;
  spine_digest: string;
  row_count: number;
  sha256: string;
  path: string;
  bytes: number;
  created_at: string;
  created_by: string;
}

export interface PushQuarantineTable {
  id: string;
  project: string;
  push_source: string;
  row: string;
  reason: string;
  request_id: string | null;
  created_at: string;
}
