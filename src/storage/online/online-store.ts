/**
 * One feature view's latest value for one entity, as written by materialization or a push.
 * Values are JSON-able scalars: number, string, boolean or null.
 */
export interface OnlineRow {
  /** The entity key, e.g. `origin=LAX`; any string (the store never splits it). */
  entityKey: string;
  /** The feature view's name. */
  view: string;
  /** When the values were true, in epoch milliseconds; an integer. */
  eventTs: number;
  /** Feature name → value. */
  values: Record<string, unknown>;
  /** replace the stored value whatever its eventTs (a value recomputed from authoritative state, e.g. stream tiles) */
  replace?: boolean;
}

/** A stored value of one view for one entity. */
export interface OnlineValue {
  eventTs: number;
  values: Record<string, unknown>;
}

/** Counts returned by {@link OnlineStore.write}. */
export interface OnlineWriteResult {
  /** rows that replaced (or created) a stored value */
  written: number;
  /** rows not newer than the stored value, so left out */
  skipped: number;
}

/**
 * The online feature store: the latest value of each (project, entity key, view), read
 * on the serving hot path. The layout is entity-major: every view of one (project,
 * entity key) lives together, so a request spanning several views is one round trip.
 *
 * Implementations: {@link createSqliteOnlineStore} (embedded, one file) and
 * {@link createRedisOnlineStore} (grown). Both reject a project name holding anything
 * but letters, digits, `-`, `_` and `.`, and a view name holding `@`, with
 * `FALAJ_ONLINE_KEY_INVALID`; an engine that cannot be reached fails fast with
 * `FALAJ_ONLINE_STORE_UNAVAILABLE` (an `UnavailableError`).
 *
 * @example
 * ```ts
 * const store = await createOnlineStore(config.online.url, { dataDir: config.dataDir });
 * await store.write('default', [{ entityKey: 'origin=LAX', view: 'airport_delays', eventTs: Date.now(), values: { avg_delay: 12.5 } }]);
 * const [lax] = await store.read('default', ['origin=LAX'], ['airport_delays', 'airport_weather']);
 * lax?.airport_delays?.values.avg_delay; // 12.5
 * ```
 */
export interface OnlineStore {
  readonly engine: 'sqlite' | 'redis';
  /**
   * Writes rows; a row replaces the stored value of (project, entityKey, view) only if
   * its eventTs is strictly newer. Rows later in the batch see earlier ones.
   */
  write(project: string, rows: readonly OnlineRow[]): Promise<OnlineWriteResult>;
  /**
   * One round trip for any number of entity keys and views. The result is aligned with
   * `entityKeys` (duplicates included); views without a value are absent.
   */
  read(project: string, entityKeys: readonly string[], views: readonly string[]): Promise<Array<Record<string, OnlineValue>>>;
  /** Removes every value of one view in a project (a view deleted or recreated); returns how many entity keys had it. */
  deleteView(project: string, view: string): Promise<number>;
  /** Resolves when the engine answers; rejects with an `UnavailableError` otherwise. */
  ping(): Promise<void>;
  /** Releases the connection or file; later calls fail with `FALAJ_ONLINE_STORE_UNAVAILABLE`. */
  close(): Promise<void>;
}
