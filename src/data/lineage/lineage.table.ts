declare module '../../storage/metadata/db.js' {
  interface Db {
    lineage_events: LineageEventTable;
    lineage_edges: LineageEdgeTable;
    lineage_outbox: LineageOutboxTable;
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

/**
 * One stored event still to be forwarded to `lineage.url`. Sent oldest `seq` first; the
 * row is deleted once the endpoint took the event, refused it, or it ran out of tries.
 */
export interface LineageOutboxTable {
  /** the `lineage_events` row whose `event` is the body sent */
  event_id: string;
  /** sending order (ties, from replicas storing at once, go by `event_id`) */
  seq: number;
  created_at: string;
  /** failed sends so far, an outage's included (they set the backoff) */
  attempts: number;
  /** failed answers while the endpoint was up (HTTP 500 and the like): past maxAttempts the event is dropped */
  refusals: number;
  /** not sent before this (ISO-8601 UTC): now when stored, then the retry backoff */
  next_attempt_at: string;
  /** why the last send failed (`HTTP 503`, `no answer in 5000 ms`, …); never the api key */
  last_error: string | null;
}
