import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { MetadataDialect } from '../../storage/metadata/index.js';
import { byCodePoint, compareNumber, compareText, type Origin } from './sql-compare.js';
import { filterError, parseOrderBy, type FilterNode } from './search-filter.js';

const col = (column: string) => sql.ref(`e.${column}`);
/** creation and update times are ISO text (the metadata convention); filters give epoch ms */
const TIME_ATTRIBUTES: Record<string, string> = { creation_time: 'created_at', last_update_time: 'updated_at' };

/**
 * MLflow's experiment filter (`name LIKE 'fraud-%'`, `tags.team = 'risk'`,
 * `creation_time > 1700000000000`) plus `or` and parentheses, over `experiments as e`.
 */
export function compileExperimentFilter(node: FilterNode, text: string, dialect: MetadataDialect): RawBuilder<SqlBool> {
  if (node.kind !== 'compare') {
    const parts = node.items.map((item) => compileExperimentFilter(item, text, dialect));
    return sql<SqlBool>`(${sql.join(parts, sql.raw(node.kind === 'and' ? ' and ' : ' or '))})`;
  }
  const { identifier: id, op, opPosition, value } = node;
  const origin: Origin = { text, name: id.entity === 'tag' ? `tags.${id.key}` : id.key, opPosition, value };
  if (id.entity === 'tag') {
    const tagged = (condition?: RawBuilder<SqlBool>) =>
      sql<SqlBool>`exists (select 1 from experiment_tags as t where ${sql.ref('t.experiment_id')} = ${col('id')} and ${sql.ref('t.key')} = ${id.key}${condition ? sql` and ${condition}` : sql``})`;
    if (op === 'IS NULL') return sql<SqlBool>`not ${tagged()}`;
    if (op === 'IS NOT NULL') return tagged();
    return tagged(compareText(dialect, sql.ref('t.value'), op, origin));
  }
  if (id.entity !== 'attribute') throw filterError(text, id.position, 'experiments are searched by name, creation_time, last_update_time or tags.<key>');
  if (id.key === 'name') return compareText(dialect, col('name'), op, origin);
  const column = TIME_ATTRIBUTES[id.key];
  if (!column) throw filterError(text, id.position, `unknown experiment attribute "${id.key}": use name, creation_time or last_update_time`);
  compareNumber(col(column), op, origin, { integer: true }); // checks the operator and the value only
  // the ISO text of an epoch-ms time sorts and compares as the number does
  const iso = isoOf(value.kind === 'number' ? value.value : 0, text, value.position);
  return sql<SqlBool>`${col(column)} ${sql.raw(op === '!=' ? '<>' : op)} ${iso}`;
}

function isoOf(ms: number, text: string, position: number): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw filterError(text, position, `${ms} is not a time in epoch milliseconds`);
  return date.toISOString();
}

/** Sort keys for one `order_by` entry: name, experiment_id, creation_time, last_update_time. */
export function compileExperimentOrder(text: string, dialect: MetadataDialect): RawBuilder<unknown> {
  const { identifier: id, descending } = parseOrderBy(text);
  const dir = sql.raw(descending ? 'desc' : 'asc');
  if (id.entity !== 'attribute') throw filterError(text, id.position, 'experiments are ordered by name, experiment_id, creation_time or last_update_time');
  if (id.key === 'name') return sql`${byCodePoint(dialect, col('name'))} ${dir}`;
  if (id.key === 'experiment_id') return sql`${col('mlflow_id')} ${dir}`;
  const column = TIME_ATTRIBUTES[id.key];
  if (!column) throw filterError(text, id.position, `cannot order experiments by "${id.key}": use name, experiment_id, creation_time or last_update_time`);
  return sql`${col(column)} ${dir}`;
}
