declare module '../../storage/metadata/db.js' {
  interface Db {
    lineage_events: LineageEventTable;
    lineage_edges: LineageEdgeTable;
  }
}

/** One OpenLineage RunEvent as received, with the columns queries filter on. */
export interface LineageEventTable {
  id: string;
  project: string;
  run_id: string;
  /** START, RUNNING, COMPLETE, ABORT, FAIL, OTHER; '' when the event gave none */
  event_type: string;
  /** the event's eventTime, normalised to ISO-8601 UTC so it sorts as text */
  event_time: string;
  job_namespace: string;
  job_name: string;
  /** JSON string[]: node ids of the inputs */
  inputs: string;
  /** JSON string[]: node ids of the outputs */
  outputs: string;
  /** JSON: the full event, exactly as received */
  event: string;
  created_at: string;
}

/** One input → output link of a COMPLETE run: what graph walks read. */
export interface LineageEdgeTable {
  project: string;
  from_node: string;
  to_node: string;
  /** the job key (see `jobKey`) */
  job_name: string;
  /** the latest COMPLETE run that made this link */
  run_id: string;
  created_at: string;
}
