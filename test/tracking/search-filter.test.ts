import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors/index.js';
import { parseFilter, parseOrderBy, type FilterNode } from '../../src/tracking/index.js';

/** A compact rendering of the tree: `(a AND (b OR c))`, comparisons as `entity:key op value`. */
function show(node: FilterNode | undefined): string {
  if (!node) return '';
  if (node.kind !== 'compare') return `(${node.items.map(show).join(` ${node.kind.toUpperCase()} `)})`;
  const v = node.value;
  const value = v.kind === 'string' ? `'${v.value}'` : v.kind === 'number' ? String(v.value) : v.kind === 'list' ? `[${v.values.join('|')}]` : '';
  return `${node.identifier.entity}:${node.identifier.key} ${node.op}${value ? ` ${value}` : ''}`;
}

function parseError(text: string): { message: string; position: number } {
  try {
    parseFilter(text);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.code).toBe('FALAJ_FILTER_INVALID');
    return { message: e.message, position: (e.details as { position: number }).position };
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe('search filter parser', () => {
  it.each([
    ['metrics.auc > 0.8', 'metric:auc > 0.8'],
    ["params.lr = '0.01'", "param:lr = '0.01'"],
    ['tags.team = "risk"', "tag:team = 'risk'"],
    ["attributes.status = 'FINISHED'", "attribute:status = 'FINISHED'"],
    ["attribute.run_name != 'x'", "attribute:run_name != 'x'"],
    ["run_name LIKE 'exp-%'", "attribute:run_name LIKE 'exp-%'"],
    ["status ilike 'fin%'", "attribute:status ILIKE 'fin%'"],
    ['attributes.start_time >= 1700000000000', 'attribute:start_time >= 1700000000000'],
    ['metrics.`my metric` <= -1.5e-3', 'metric:my metric <= -0.0015'],
    ['metrics."f1 score" < .5', 'metric:f1 score < 0.5'],
    ['metric.val/loss:top-1 != 2', 'metric:val/loss:top-1 != 2'],
    ["params.model IN ('xgb', 'lgbm')", "param:model IN [xgb|lgbm]"],
    ["params.model not in ('a')", 'param:model NOT IN [a]'],
    ['tags.owner IS NULL', 'tag:owner IS NULL'],
    ['metrics.auc is not null', 'metric:auc IS NOT NULL'],
    ["datasets.context = 'training'", "dataset:context = 'training'"],
    ["tags.`mlflow.source.type` = 'it''s'", "tag:mlflow.source.type = 'it's'"],
    ["tags.note = 'a\\'b'", "tag:note = 'a'b'"],
  ])('parses %s', (text, expected) => {
    expect(show(parseFilter(text))).toBe(expected);
  });

  it('treats a blank filter as none', () => {
    expect(parseFilter(undefined)).toBeUndefined();
    expect(parseFilter('   ')).toBeUndefined();
  });

  it('binds AND tighter than OR, and keywords in any case', () => {
    expect(show(parseFilter('metrics.a > 1 or metrics.b > 2 AND metrics.c > 3'))).toBe('(metric:a > 1 OR (metric:b > 2 AND metric:c > 3))');
    expect(show(parseFilter('metrics.a > 1 And metrics.b > 2 oR metrics.c > 3'))).toBe('((metric:a > 1 AND metric:b > 2) OR metric:c > 3)');
    expect(show(parseFilter('metrics.a > 1 and metrics.b > 2 and metrics.c > 3'))).toBe('(metric:a > 1 AND metric:b > 2 AND metric:c > 3)');
  });

  it('lets parentheses override precedence, nested', () => {
    expect(show(parseFilter("(metrics.a > 1 or metrics.b > 2) and tags.t = 'x'"))).toBe("((metric:a > 1 OR metric:b > 2) AND tag:t = 'x')");
    expect(show(parseFilter("((metrics.a > 1) or (params.p = '1' and (tags.t = 'x' or tags.t = 'y')))"))).toBe(
      "(metric:a > 1 OR (param:p = '1' AND (tag:t = 'x' OR tag:t = 'y')))",
    );
  });

  it.each([
    ['metrics.auc >', 13, /expected a quoted string or a number after ">", found the end of the filter/],
    ['metrics.auc 0.8', 12, /expected an operator/],
    ['metrics.auc > 0.8 and', 21, /expected a comparison/],
    ['metrics.auc > 0.8 params.lr = 1', 18, /expected "and", "or" or the end/],
    ['(metrics.auc > 0.8', 18, /expected "\)" to close the "\(" at position 0/],
    ['metrics.auc > 0.8)', 17, /no "\)" without a matching "\("/],
    ["foo.bar = 'x'", 0, /unknown entity "foo"/],
    ["tags.t = 'open", 9, /never closed/],
    ['metrics.a ! 1', 10, /expected "!="/],
    ["params.p in 'a'", 12, /expected a list/],
    ["params.p in ('a' 'b')", 17, /"," or "\)" in the list/],
    ['metrics.a is 1', 13, /expected "null"/],
    ['metrics.a > 1 # x', 14, /unexpected character "#"/],
    ['metrics. > 1', 8, /expected a key after "metrics."/],
  ])('refuses %s at position %i', (text, position, message) => {
    const err = parseError(text);
    expect(err.position).toBe(position);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`at position ${position}`);
  });

  it('parses order-by clauses', () => {
    expect(parseOrderBy('metrics.auc DESC')).toMatchObject({ identifier: { entity: 'metric', key: 'auc' }, descending: true });
    expect(parseOrderBy('attributes.start_time asc')).toMatchObject({ identifier: { entity: 'attribute', key: 'start_time' }, descending: false });
    expect(parseOrderBy('params.lr')).toMatchObject({ identifier: { entity: 'param', key: 'lr' }, descending: false });
    expect(parseOrderBy('metrics.`f1 score` desc')).toMatchObject({ identifier: { entity: 'metric', key: 'f1 score' }, descending: true });
    expect(() => parseOrderBy('metrics.auc sideways')).toThrow(/at position 12/);
    expect(() => parseOrderBy('> 1')).toThrow(/a key to order by/);
  });
});
