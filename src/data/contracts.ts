/**
 * The data domain's shared nouns (issue 7: ingestion, quality, streaming, lineage). Each
 * part — the batch validation engine, the stream adapters, the lineage store — is built
 * against these so it can be tested on its own.
 */

/** The feature store's column types (same list as `VALUE_TYPES`). */
export type ColumnType = 'int32' | 'int64' | 'float32' | 'float64' | 'string' | 'bool' | 'timestamp';

/** What a failed expectation does: note it, set the failing rows aside, or refuse the whole batch. */
export type ExpectationAction = 'warn' | 'quarantine' | 'reject';

/**
 * One expectation (Great Expectations' vocabulary, shortened). Row-level ones (`not_null`,
 * `unique`, `between`, `in_set`, `regex`) judge each row: failing rows are quarantined by
 * default. Batch-level ones judge the whole batch: they warn by default, or reject it.
 */
export type Expectation =
  | { expect: 'not_null'; column: string; onFailure?: ExpectationAction }
  | { expect: 'unique'; columns: string[]; onFailure?: ExpectationAction }
  | { expect: 'between'; column: string; min?: number; max?: number; onFailure?: ExpectationAction }
  | { expect: 'in_set'; column: string; values: (string | number | boolean)[]; onFailure?: ExpectationAction }
  | { expect: 'regex'; column: string; pattern: string; onFailure?: ExpectationAction }
  | { expect: 'max_null_fraction'; column: string; max: number; onFailure?: ExpectationAction }
  | { expect: 'row_count_between'; min?: number; max?: number; onFailure?: ExpectationAction }
  /** the newest event timestamp is no older than `maxAge` (a duration: 30m, 1d) at ingestion time */
  | { expect: 'freshness'; maxAge: string; onFailure?: ExpectationAction }
  /** the column's mean moved from the reference profile's by at most `maxRelative` (0.1 = 10 %) */
  | { expect: 'mean_shift'; column: string; maxRelative: number; onFailure?: ExpectationAction }
  /** the column's `quantile` (0.5 = median) moved from the reference profile's by at most `maxRelative` */
  | { expect: 'quantile_shift'; column: string; quantile: number; maxRelative: number; onFailure?: ExpectationAction };

export const ROW_EXPECTATIONS = ['not_null', 'unique', 'between', 'in_set', 'regex'] as const;

/** What a source says about its rows: types, required columns, allowed values, expectations. */
export interface SourceContract {
  /** column → type; columns outside it are ignored */
  schema: Record<string, ColumnType>;
  timestampField: string;
  /** columns that must be present and non-null (the event time always is) */
  required: string[];
  /** column → the only values it may take */
  allowedValues: Record<string, (string | number | boolean)[]>;
  expectations: Expectation[];
}

/** How one expectation (or schema rule) fared on a batch. */
export interface ExpectationResult {
  /** `type(fare)`, `required(driver_id)`, `allowed(city)`, or the expectation with its column: `between(fare)` */
  rule: string;
  scope: 'row' | 'batch';
  action: ExpectationAction;
  passed: boolean;
  /** rows that failed it (row-level) */
  failedRows?: number;
  /** what was observed (batch-level): a fraction, a count, a mean, an age in ms */
  observed?: number | string | null;
  message: string;
}

/** Per column, over the accepted rows. */
export interface ColumnProfile {
  column: string;
  type: ColumnType;
  count: number;
  nulls: number;
  /** numbers and timestamps as numbers (timestamps in epoch ms); strings by their order */
  min: number | string | null;
  max: number | string | null;
  mean: number | null;
  stddev: number | null;
  /** p01, p05, p25, p50, p75, p95, p99 for numeric columns */
  quantiles: Record<string, number> | null;
  /** approximate (HyperLogLog) */
  distinct: number;
}

export interface DataProfile {
  rows: number;
  columns: ColumnProfile[];
}

/** The outcome of validating one batch. `accepted + quarantined = received`, always. */
export interface IngestionOutcome {
  received: number;
  accepted: number;
  quarantined: number;
  /** set when a `reject` expectation failed: every row went to quarantine */
  rejected: string | null;
  results: ExpectationResult[];
  profile: DataProfile;
  /** SHA-256 over the accepted Parquet files (in path order): the dataset version's identity */
  sha256: string | null;
  /** accepted Parquet files written (relative to the output directory) */
  files: string[];
  quarantineFile: string | null;
}

/** One message from a broker, as the stream ingestion sees it. */
export interface StreamMessage {
  /** unique within the stream: NATS stream sequence, Redis entry id, Kafka `topic/partition/offset` */
  id: string;
  data: Uint8Array;
  /** broker timestamp (epoch ms) when known */
  publishedAt: number | null;
  /** times delivered so far (1 on first delivery), when the broker says */
  deliveries: number | null;
}

/** A durable, shared consumer (JetStream durable pull consumer, Redis consumer group, Kafka consumer group). */
export interface StreamConsumer {
  /** up to `max` messages, waiting at most `waitMs` for the first */
  fetch(max: number, waitMs: number): Promise<StreamMessage[]>;
  /** acknowledges processed messages: they are never delivered again */
  ack(messages: readonly StreamMessage[]): Promise<void>;
  /** messages in the stream not yet delivered to the group, when the broker says (null otherwise) */
  lag(): Promise<number | null>;
  close(): Promise<void>;
}

/** A broker connection: consumers for ingestion, and publishing (tests, benchmarks, dead letters). */
export interface StreamBroker {
  readonly kind: 'nats' | 'kafka' | 'redis';
  /** creates the stream/topic/group when missing; `group` is the durable name several replicas share */
  consumer(options: { stream: string; subject: string; group: string; consumer: string }): Promise<StreamConsumer>;
  publish(subject: string, data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
