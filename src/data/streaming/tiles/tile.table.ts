declare module '../../../storage/metadata/db.js' {
  interface Db {
    stream_tiles: StreamTileTable;
    stream_applied: StreamAppliedTable;
  }
}

export interface StreamTileTable {
  project: string;
  view: string;
  entity_key: string;
  column_name: string;
  tile_end: number;
  count: number;
  sum: number;
  sumsq: number;
  min: number | null;
  max: number | null;
  last_value: string | null;
  last_ts: number | null;
  last_id: string | null;
}

export interface StreamAppliedTable {
  project: string;
  source: string;
  event_id: string;
  applied_at: number;
}
