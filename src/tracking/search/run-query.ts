import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { MetadataDialect } from '../../storage/metadata/index.js';
import type { RunTable } from '../tracking.table.js';
import type { ViewType } from '../tracking.types.js';
import { byCodePoint, compareNumber, compareText, type Origin } from './sql-compare.js';
import { filterError, parseOrderBy, type FilterNode, type Identifier } from './search-filter.js';

/** Run attributes a filter or order may name, as MLflow calls them, and their columns. */
const TEXT_ATTRIBUTES: Record<string, string> = { run_id: 'id', run_name: 'name', status: 'status', user_id: 'user_id', artifact_uri: 'artifact_uri' };
const TIME_ATTRIBUTES: Record<string, string> = { start_time: 'start_time', end_time: 'end_time', created: 'start_time', Created: 'start_time' };
const DATASET_FIELDS: Record<string, string> = { name: 'name', digest: 'digest', context: 'context' };

const col = (table: string, column: string) => sql.ref(`${table}.${column}`);
const R_ID = col('r', 'id');

/**
 * The WHERE condition of a parsed filter over `runs as r`. A run without the key never
 * matches (as in MLflow). Metric and param comparisons are `r.id IN (subquery)` on the
 * (key, value) indexes: SQLite then reads the matching runs from the index once instead
 * of probing each run of the experiment (≈40% faster at 30,000 runs); PostgreSQL plans
 * IN and EXISTS alike, as semi-joins. Tags, datasets and "is null" probe each run's
 * primary key with EXISTS / NOT EXISTS (NOT IN would defeat PostgreSQL's anti-join).
 */
export function compileRunFilter(node: FilterNode, text: string, dialect: MetadataDialect): RawBuilder<SqlBool> {
  if (node.kind !== 'compare') {
    const parts = node.items.map((item) => compileRunFilter(item, text, dialect));
    return sql<SqlBool>`(${sql.join(parts, sql.raw(node.kind === 'and' ? ' and ' : ' or '))})`;
  }
  const { identifier: id, op, opPosition, value } = node;
  const origin: Origin = { text, name: displayName(id), opPosition, value };
  const keyed = (table: string, condition?: Expression<SqlBool>) =>
    sql<SqlBool>`exists (select 1 from ${sql.table(table)} as x where ${col('x', 'run_id')} = ${R_ID} and ${col('x', 'key')} = ${id.key}${condition ? sql` and ${condition}` : sql``})`;
  const indexed = (table: string, condition?: Expression<SqlBool>) =>
    sql<SqlBool>`${R_ID} in (select ${col('x', 'run_id')} from ${sql.table(table)} as x where ${col('x', 'key')} = ${id.key}${condition ? sql` and ${condition}` : sql``})`;
  const nullTest = (table: string) => (op === 'IS NULL' ? sql<SqlBool>`not ${keyed(table)}` : keyed(table));

  switch (id.entity) {
    case 'metric': {
      if (op === 'IS NULL' || op === 'IS NOT NULL') return nullTest('latest_metrics');
      const compare = compareNumber(col('x', 'value'), op, origin);
      // NaN is stored as 0 with is_nan = 1: it equals nothing and is unequal to everything (IEEE 754)
      const condition = op === '!=' ? sql<SqlBool>`(${col('x', 'is_nan')} = 1 or ${compare})` : sql<SqlBool>`${col('x', 'is_nan')} = 0 and ${compare}`;
      return indexed('latest_metrics', condition);
    }
    case 'param':
    case 'tag': {
      const table = id.entity === 'param' ? 'run_params' : 'run_tags';
      if (op === 'IS NULL' || op === 'IS NOT NULL') return nullTest(table);
      let condition = compareText(dialect, col('x', 'value'), op, origin);
      if (table === 'run_tags') return keyed(table, condition);
      // repeats the prefix that run_params_key_value indexes, so equality can use that index
      if (op === '=' && value.kind === 'string') condition = sql<SqlBool>`substr(${col('x', 'value')}, 1, 200) = substr(${value.value}, 1, 200) and ${condition}`;
      return indexed(table, condition);
    }
    case 'dataset': {
      const field = DATASET_FIELDS[id.key];
      if (!field) throw filterError(text, id.position, `datasets.${id.key} is not searchable: use datasets.name, datasets.digest or datasets.context`);
      if (op === 'IS NULL' || op === 'IS NOT NULL') throw filterError(text, opPosition, `datasets.${id.key} cannot be tested for null`);
      const condition = compareText(dialect, col('x', field), op, origin);
      return sql<SqlBool>`exists (select 1 from run_inputs as x where ${col('x', 'run_id')} = ${R_ID} and ${condition})`;
    }
    case 'attribute': {
      const column = TEXT_ATTRIBUTES[id.key] ?? TIME_ATTRIBUTES[id.key];
      if (!column) throw filterError(text, id.position, `unknown attribute "${id.key}": use ${[...Object.keys(TEXT_ATTRIBUTES), 'start_time', 'end_time'].join(', ')}`);
      if (op === 'IS NULL') return sql<SqlBool>`${col('r', column)} is null`;
      if (op === 'IS NOT NULL') return sql<SqlBool>`${col('r', column)} is not null`;
      return TEXT_ATTRIBUTES[id.key] ? compareText(dialect, col('r', column), op, origin) : compareNumber(col('r', column), op, origin, { integer: true });
    }
  }
}

function displayName(id: Identifier): string {
  const prefix = { metric: 'metrics.', param: 'params.', tag: 'tags.', attribute: 'attributes.', dataset: 'datasets.' }[id.entity];
  return /^[\w.]+$/.test(id.key) ? `${prefix}${id.key}` : `${prefix}\`${id.key}\``;
}

/** One ORDER BY entry compiled: the joins it needs and its sort keys (missing values last, always). */
interface CompiledOrder {
  join?: RawBuilder<unknown>;
  keys: RawBuilder<unknown>[];
  /** true when it orders by the start time (then no default start-time key is added) */
  byStartTime: boolean;
}

export function compileRunOrder(text: string, index: number, dialect: MetadataDialect): CompiledOrder {
  const { identifier: id, descending } = parseOrderBy(text);
  const dir = sql.raw(descending ? 'desc' : 'asc');
  const alias = `o${index}`;
  const o = (c: string) => col(alias, c);
  switch (id.entity) {
    case 'metric':
      return {
        join: sql`left join latest_metrics as ${sql.raw(alias)} on ${o('run_id')} = ${R_ID} and ${o('key')} = ${id.key}`,
        // MLflow's order: numbers, then NaN, then runs without the metric, whatever the direction
        keys: [sql`case when ${o('value')} is null then 2 when ${o('is_nan')} = 1 then 1 else 0 end`, sql`${o('value')} ${dir}`],
        byStartTime: false,
      };
    case 'param':
    case 'tag':
      return {
        join: sql`left join ${sql.table(id.entity === 'param' ? 'run_params' : 'run_tags')} as ${sql.raw(alias)} on ${o('run_id')} = ${R_ID} and ${o('key')} = ${id.key}`,
        keys: [sql`case when ${o('value')} is null then 1 else 0 end`, sql`${byCodePoint(dialect, o('value'))} ${dir}`],
        byStartTime: false,
      };
    case 'attribute': {
      const textColumn = TEXT_ATTRIBUTES[id.key];
      const column = textColumn ?? TIME_ATTRIBUTES[id.key];
      if (!column) throw filterError(text, id.position, `cannot order by attribute "${id.key}": use ${[...Object.keys(TEXT_ATTRIBUTES), 'start_time', 'end_time'].join(', ')}`);
      const ref = col('r', column);
      return {
        keys: [sql`case when ${ref} is null then 1 else 0 end`, textColumn ? sql`${byCodePoint(dialect, ref)} ${dir}` : sql`${ref} ${dir}`],
        byStartTime: column === 'start_time',
      };
    }
    default:
      throw filterError(text, id.position, 'runs cannot be ordered by a dataset field');
  }
}

export interface RunQuery {
  project: string;
  experimentIds: string[] | undefined;
  filter: FilterNode | undefined;
  filterText: string;
  orderBy: string[];
  viewType: ViewType;
  limit: number;
  offset: number;
}

/**
 * The search statement. Written with Kysely's `sql` template rather than the builder
 * because the order-by joins take aliases made at run time (`o0`, `o1`…), which the
 * builder's types cannot follow; every value is still a bound parameter.
 */
export function runSearchQuery(q: RunQuery, dialect: MetadataDialect): RawBuilder<RunTable> {
  const where: RawBuilder<SqlBool>[] = [sql<SqlBool>`${col('r', 'project')} = ${q.project}`];
  if (q.experimentIds) where.push(sql<SqlBool>`${col('r', 'experiment_id')} in (${sql.join(q.experimentIds.map((id) => sql.val(id)))})`);
  if (q.viewType !== 'ALL') where.push(sql<SqlBool>`${col('r', 'lifecycle_stage')} = ${q.viewType === 'ACTIVE_ONLY' ? 'active' : 'deleted'}`);
  if (q.filter) where.push(compileRunFilter(q.filter, q.filterText, dialect));

  const orders = q.orderBy.map((text, i) => compileRunOrder(text, i, dialect));
  const keys = orders.flatMap((o) => o.keys);
  if (!orders.some((o) => o.byStartTime)) keys.push(sql`${col('r', 'start_time')} desc`);
  keys.push(sql`${R_ID} asc`);
  const joins = orders.flatMap((o) => (o.join ? [o.join] : []));

  return sql<RunTable>`select r.* from runs as r ${sql.join(joins, sql` `)} where ${sql.join(where, sql` and `)} order by ${sql.join(keys)} limit ${q.limit} offset ${q.offset}`;
}
