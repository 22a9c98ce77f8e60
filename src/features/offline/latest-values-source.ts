import type { DuckDbEngine } from '../../storage/offline/index.js';
import type { ResolvedFeatureView } from '../definitions/resolved.js';
import { countLatestValues, EVENT_TS_COLUMN, type LatestValuesRange, streamLatestValues } from './latest-values.js';

/** One entity's latest values, as materialization writes them to the online store. */
export interface LatestValues {
  /** values of `view.joinKeys`, in that order */
  keys: unknown[];
  /** epoch ms of the latest source row used */
  eventTs: number;
  /** feature name → value */
  values: Record<string, unknown>;
}

/**
 * The offline store as materialization's source of latest values: `stream` yields
 * batches of entities, `count` says how many to expect. Takes anything that hands out the
 * engine (a `LazyDuckDbEngine`), so the engine starts only when materialization runs.
 */
export function offlineLatestValues(engines: { get(): Promise<DuckDbEngine> }) {
  return {
    async *stream(view: ResolvedFeatureView, range: LatestValuesRange): AsyncGenerator<LatestValues[], void, undefined> {
      const engine = await engines.get();
      for await (const rows of streamLatestValues(engine, view, range)) {
        yield rows.map((row) => ({
          keys: view.joinKeys.map((k) => row[k]),
          eventTs: Number(row[EVENT_TS_COLUMN]),
          values: Object.fromEntries(view.features.map((f) => [f.name, row[f.name] ?? null])),
        }));
      }
    },
    async count(view: ResolvedFeatureView, range: LatestValuesRange): Promise<number> {
      return countLatestValues(await engines.get(), view, range);
    },
  };
}
