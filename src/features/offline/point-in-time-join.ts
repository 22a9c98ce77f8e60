import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type DuckDbEngine,
  fileRelation,
  formatOfPath,
  intervalMicrosSql,
  intervalMillisSql,
  quoteIdent,
  quoteLiteral,
  timestampSql,
} from '../../storage/offline/index.js';
import type { ResolvedFeature, ResolvedFeatureView } from '../definitions/resolved.js';
import { checkSpine, EVENT_TIMESTAMP } from './spine.js';
import { type TrainingColumn, trainingColumns, type ViewRequest } from './training-columns.js';
import { castToFeatureType, CREATED, featureSourceColumn, keyAlias, projectedSourceSql, projectionFor, ROW, TS, windowAggregate } from './view-source-sql.js';

export interface TrainingSetSqlOptions {
  /** a relation (what goes after FROM) holding the join keys and `event_timestamp` */
  spineSql: string;
  views: readonly ViewRequest[];
  fullFeatureNames?: boolean | undefined;
}

export interface PointInTimeJoinRequest {
  /** a Parquet or CSV (or JSON-lines) file of entity rows */
  spinePath: string;
  views: readonly ViewRequest[];
  /** where the training set is written, as Parquet */
  outPath: string;
  fullFeatureNames?: boolean | undefined;
}

export interface TrainingSetResult {
  rows: number;
  /** the spine's columns, then one per feature */
  columns: string[];
}

const SPINE = '__falaj_spine';

/** A plain feature, or `last` (the latest row, bounded by its window). */
const isLatest = (f: ResolvedFeature) => !f.aggregation || f.aggregation.function === 'last';

/**
 * The SQL of a point-in-time-correct training set: every spine row once, in the spine's
 * order, with its columns and one column per feature, computed only from source rows
 * with event time ≤ the row's `event_timestamp`.
 *
 * - plain features (and `last`): the latest source row of the entity at or before the
 *   row's time, ties on event time going to the latest created time (one ASOF join per
 *   view); null when none, or when it is no newer than `row time - ttl` (`- window` for `last`).
 * - `count`/`sum`/`mean`/`min`/`max`/`stddev`: over source rows in `(row time - window,
 *   row time]`, from one windowed pass per view over the spine rows and source rows
 *   sorted together (count of non-null values; 0 when none).
 */
export function buildTrainingSetSql(options: TrainingSetSqlOptions): string {
  const columns = trainingColumns(options.views, options.fullFeatureNames ?? false);
  const ctes = [`${SPINE} AS MATERIALIZED (SELECT *, row_number() OVER () AS ${ROW}, ${timestampSql(quoteIdent(EVENT_TIMESTAMP))} AS ${TS} FROM ${options.spineSql})`];
  const joins: string[] = [];
  const exprs = new Map<TrainingColumn, string>();
  options.views.forEach(({ view }, i) => {
    const mine = columns.filter((c) => c.viewIndex === i);
    const latest = mine.filter((c) => isLatest(c.feature));
    const windowed = mine.filter((c) => !isLatest(c.feature));
    for (const pass of [latest.length > 0 && latestPass(view, i, latest), windowed.length > 0 && windowPass(view, i, windowed)]) {
      if (!pass) continue;
      ctes.push(pass.cte);
      joins.push(pass.join);
      for (const [column, expr] of pass.exprs) exprs.set(column, expr);
    }
  });
  const features = columns.map((c) => `, ${exprs.get(c)!} AS ${quoteIdent(c.name)}`).join('');
  return `WITH ${ctes.join(',\n')}\nSELECT s.* EXCLUDE (${ROW}, ${TS})${features}\nFROM ${SPINE} AS s\n${joins.join('\n')}\nORDER BY s.${ROW}`;
}

interface Pass {
  cte: string;
  join: string;
  exprs: [TrainingColumn, string][];
}

/** Plain features and `last`: one ASOF join on the source, deduplicated per (keys, event time). */
function latestPass(view: ResolvedFeatureView, i: number, columns: TrainingColumn[]): Pass {
  const projection = projectionFor(view, columns.map((c) => c.feature));
  const name = `__falaj_v${i}_latest`;
  const keys = projection.keyColumns.map((_, k) => keyAlias(k));
  const dedupe = projection.hasCreated ? ` QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')}, ${TS} ORDER BY ${CREATED} DESC NULLS LAST) = 1` : '';
  const on = [...view.joinKeys.map((k, n) => `s.${quoteIdent(k)} = l${i}.${keys[n]}`), `s.${TS} >= l${i}.${TS}`].join(' AND ');
  const exprs = columns.map((c): [TrainingColumn, string] => {
    const value = `l${i}.${projection.valueAliases.get(featureSourceColumn(c.feature))!}`;
    const horizonMs = c.feature.aggregation ? c.feature.aggregation.windowMs : view.ttlMs;
    const bounded = horizonMs > 0 ? `CASE WHEN l${i}.${TS} > s.${TS} - ${intervalMillisSql(horizonMs)} THEN ${value} END` : value;
    return [c, castToFeatureType(bounded, c.feature)];
  });
  return { cte: `${name} AS (SELECT * FROM ${projectedSourceSql(view, projection)}${dedupe})`, join: `ASOF LEFT JOIN ${name} AS l${i} ON ${on}`, exprs };
}

/**
 * Windowed aggregations: the spine rows (values NULL) and the source rows sorted together
 * once per view; every aggregate of the view is a window over that one sort, read off at
 * the spine rows.
 */
function windowPass(view: ResolvedFeatureView, i: number, columns: TrainingColumn[]): Pass {
  const projection = { ...projectionFor(view, columns.map((c) => c.feature)), hasCreated: false };
  const name = `__falaj_v${i}_windows`;
  const keys = projection.keyColumns.map((_, k) => keyAlias(k));
  const values = [...projection.valueAliases.values()];
  const spineSide = [...view.joinKeys.map((k, n) => `s.${quoteIdent(k)} AS ${keys[n]}`), `s.${TS} AS ${TS}`, `s.${ROW} AS ${ROW}`, 'TRUE AS __falaj_spine', ...values.map((v) => `NULL AS ${v}`)];
  const sourceSide = [...keys, TS, `NULL AS ${ROW}`, 'FALSE AS __falaj_spine', ...values];
  const exprs: [TrainingColumn, string][] = [];
  const aggregates = columns.map((c, n) => {
    const agg = c.feature.aggregation!;
    // (t - window, t] on microsecond timestamps: RANGE window-1µs PRECEDING, and CURRENT
    // ROW in RANGE mode takes the peers at exactly t (source rows at the row's own time)
    const frame = `PARTITION BY ${keys.join(', ')} ORDER BY ${TS} RANGE BETWEEN ${intervalMicrosSql(BigInt(agg.windowMs) * 1000n - 1n)} PRECEDING AND CURRENT ROW`;
    exprs.push([c, castToFeatureType(`w${i}.__falaj_a${n}`, c.feature)]);
    return `${windowAggregate(agg.function, projection.valueAliases.get(agg.column)!)} OVER (${frame}) AS __falaj_a${n}`;
  });
  const rows = `SELECT ${spineSide.join(', ')} FROM ${SPINE} AS s UNION ALL SELECT ${sourceSide.join(', ')} FROM ${projectedSourceSql(view, projection)}`;
  const cte = `${name} AS (SELECT * EXCLUDE (__falaj_spine) FROM (SELECT ${ROW}, __falaj_spine, ${aggregates.join(', ')} FROM (${rows})) WHERE __falaj_spine)`;
  return { cte, join: `LEFT JOIN ${name} AS w${i} ON w${i}.${ROW} = s.${ROW}`, exprs };
}

/**
 * Builds a point-in-time-correct training set from a spine file and writes it as Parquet.
 * The spine is checked first (`FALAJ_SPINE_INVALID`): it needs `event_timestamp` and
 * every view's join keys.
 *
 * @example
 * const { rows, columns } = await pointInTimeJoin(engine, {
 *   spinePath: '/data/spine.parquet', views: service.views, outPath: '/data/train.parquet',
 * });
 */
export async function pointInTimeJoin(engine: DuckDbEngine, request: PointInTimeJoinRequest): Promise<TrainingSetResult> {
  const spineSql = fileRelation(request.spinePath, formatOfPath(request.spinePath));
  const described = await engine.query(`DESCRIBE SELECT * FROM ${spineSql}`);
  const spine = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  const columns = trainingColumns(request.views, request.fullFeatureNames ?? false);
  checkSpine(spine, request.views, columns);
  const sql = buildTrainingSetSql({ spineSql, views: request.views, fullFeatureNames: request.fullFeatureNames });
  await mkdir(dirname(request.outPath), { recursive: true });
  const [result] = await engine.query(`COPY (${sql}) TO ${quoteLiteral(request.outPath)} (FORMAT parquet)`);
  return { rows: Number(result?.Count ?? 0), columns: [...spine.map((c) => c.name), ...columns.map((c) => c.name)] };
}
