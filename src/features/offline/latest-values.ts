import { InputError } from '../../core/errors/index.js';
import { type DuckDbEngine, quoteIdent, type Row, timestampLiteral } from '../../storage/offline/index.js';
import type { ResolvedFeatureView } from '../definitions/resolved.js';
import { castToFeatureType, CREATED, featureSourceColumn, keyAlias, projectedSourceSql, projectionFor, TS, windowAggregate } from './view-source-sql.js';

/** A materialization interval `(start, end]`. */
export interface LatestValuesRange {
  start: Date | number;
  end: Date | number;
}

/** The column with the epoch milliseconds of the latest source row used. */
export const EVENT_TS_COLUMN = '__event_ts';

const ms = (t: Date | number) => (typeof t === 'number' ? t : t.getTime());

/**
 * The SQL that materialization loads into the online store: one row per entity, with
 * its join keys, `__event_ts` (epoch ms of its latest source row) and every feature.
 *
 * An entity is included when it has a source row in `(start, end]`, or, for a view with
 * aggregations, in `(end - longest window, end]` (its aggregates change as windows
 * slide). Plain features come from its latest row in that span (ties on event time go to
 * the latest created time); each aggregation is computed as of `end` over
 * `(end - window, end]`. Nothing after `end` is read.
 */
export function latestValuesSql(view: ResolvedFeatureView, range: LatestValuesRange): string {
  const start = ms(range.start);
  const end = ms(range.end);
  if (!(start < end)) throw new InputError('FALAJ_BAD_REQUEST', `materialization range is empty: start ${new Date(start).toISOString()} must be before end ${new Date(end).toISOString()}`);
  const features = view.features;
  const names = new Set([...view.joinKeys, EVENT_TS_COLUMN].map((n) => n.toLowerCase()));
  for (const f of features) {
    if (names.has(f.name.toLowerCase())) {
      throw new InputError('FALAJ_FEATURE_DEFINITIONS_INVALID', `feature ${view.name}:${f.name} has the name of a join key or of ${EVENT_TS_COLUMN}: rename it`);
    }
    names.add(f.name.toLowerCase());
  }
  const windows = features.flatMap((f) => (f.aggregation ? [f.aggregation.windowMs] : []));
  const from = windows.length > 0 ? Math.min(start, end - Math.max(...windows)) : start;
  const projection = projectionFor(view, features);
  const order = projection.hasCreated ? `{'t': ${TS}, 'c': coalesce(${CREATED}, '-infinity'::TIMESTAMP)}` : TS;

  const keys = view.joinKeys.map((k, i) => `${keyAlias(i)} AS ${quoteIdent(k)}`);
  const values = features.map((f) => {
    const alias = projection.valueAliases.get(featureSourceColumn(f))!;
    const agg = f.aggregation;
    const inWindow = agg ? ` FILTER (WHERE ${TS} > ${timestampLiteral(end - agg.windowMs)})` : '';
    const expr = !agg || agg.function === 'last' ? `arg_max_null(${alias}, __falaj_order)${inWindow}` : `${windowAggregate(agg.function, alias)}${inWindow}`;
    return `${castToFeatureType(expr, f)} AS ${quoteIdent(f.name)}`;
  });
  return (
    `SELECT ${[...keys, `epoch_ms(max(${TS})) AS ${EVENT_TS_COLUMN}`, ...values].join(', ')} ` +
    `FROM (SELECT *, ${order} AS __falaj_order FROM ${projectedSourceSql(view, projection)} ` +
    `WHERE ${TS} > ${timestampLiteral(from)} AND ${TS} <= ${timestampLiteral(end)}) ` +
    `GROUP BY ${view.joinKeys.map((_, i) => keyAlias(i)).join(', ')}`
  );
}

/** `latestValuesSql`, run and yielded in batches so that millions of entities stream through. */
export function streamLatestValues(engine: DuckDbEngine, view: ResolvedFeatureView, range: LatestValuesRange, options: { batchSize?: number } = {}): AsyncGenerator<Row[], void, undefined> {
  return engine.stream(latestValuesSql(view, range), { batchSize: options.batchSize });
}

/** How many entities `streamLatestValues` would yield. */
export async function countLatestValues(engine: DuckDbEngine, view: ResolvedFeatureView, range: LatestValuesRange): Promise<number> {
  const [row] = await engine.query(`SELECT count(*) AS n FROM (${latestValuesSql(view, range)})`);
  return Number(row?.n ?? 0);
}
