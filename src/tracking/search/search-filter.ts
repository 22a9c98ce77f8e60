import { InputError } from '../../core/errors/index.js';

/**
 * MLflow's search filter language (`metrics.auc > 0.8 and params.lr = '0.01'`), plus
 * what its users ask for: `or`, parentheses, `is [not] null`, and case-insensitive
 * keywords. `and` binds tighter than `or`. This module only parses; what an entity or
 * attribute allows (numbers for metrics, strings for params…) is checked where the
 * filter is compiled, with the same positions in the errors.
 *
 * @example
 * parseFilter("(metrics.auc > 0.8 or tags.team = 'risk') and attributes.status = 'FINISHED'")
 */

export type EntityType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

/** The prefixes MLflow accepts, singular and plural. */
const ENTITY_PREFIXES: Record<string, EntityType> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

export interface Identifier {
  entity: EntityType;
  key: string;
  /** offset of the identifier in the text */
  position: number;
}

export type FilterValue =
  | { kind: 'string'; value: string; position: number }
  | { kind: 'number'; value: number; position: number }
  | { kind: 'list'; values: string[]; position: number }
  | { kind: 'none'; position: number };

export type FilterNode =
  | { kind: 'and' | 'or'; items: FilterNode[] }
  | { kind: 'compare'; identifier: Identifier; op: ComparisonOperator; opPosition: number; value: FilterValue };

export interface OrderByClause {
  identifier: Identifier;
  descending: boolean;
}

/** A filter error at an offset of the text (0-based), as FALAJ_FILTER_INVALID. */
export function filterError(text: string, position: number, message: string): InputError {
  return new InputError('FALAJ_FILTER_INVALID', `${message} at position ${position} of "${text}"`, { details: { position, filter: text } });
}

type Token =
  | { type: 'ident'; identifier: Identifier; position: number }
  | { type: 'keyword'; word: 'AND' | 'OR' | 'NOT' | 'IN' | 'LIKE' | 'ILIKE' | 'IS' | 'NULL' | 'ASC' | 'DESC'; position: number }
  | { type: 'op'; op: '=' | '!=' | '<' | '<=' | '>' | '>='; position: number }
  | { type: 'string'; value: string; position: number }
  | { type: 'number'; value: number; position: number }
  | { type: '(' | ')' | ','; position: number }
  | { type: 'end'; position: number };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL', 'ASC', 'DESC']);
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const UNQUOTED_KEY = /[\p{L}\p{N}_.\-/:]+/uy;
const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(text);
    return m?.[0];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, position: start });
      i++;
    } else if (c === '!' || c === '<' || c === '>' || c === '=') {
      const two = text.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ type: 'op', op: two, position: start });
        i += 2;
      } else if (c === '!') {
        throw filterError(text, start, 'expected "!="');
      } else {
        tokens.push({ type: 'op', op: c as '<' | '>' | '=', position: start });
        i++;
      }
    } else if (c === "'" || c === '"') {
      const { value, end } = readQuoted(text, i);
      tokens.push({ type: 'string', value, position: start });
      i = end;
    } else if (/[\d.+-]/.test(c) && match(NUMBER)) {
      const n = match(NUMBER)!;
      tokens.push({ type: 'number', value: Number(n), position: start });
      i += n.length;
    } else if (match(WORD)) {
      const word = match(WORD)!;
      i += word.length;
      if (text[i] !== '.') {
        const upper = word.toUpperCase();
        if (KEYWORDS.has(upper)) tokens.push({ type: 'keyword', word: upper as never, position: start });
        // MLflow: an identifier without a prefix is an attribute (`status`, `run_name`)
        else tokens.push({ type: 'ident', identifier: { entity: 'attribute', key: word, position: start }, position: start });
        continue;
      }
      const entity = ENTITY_PREFIXES[word.toLowerCase()];
      if (!entity) {
        throw filterError(text, start, `unknown entity "${word}": use metrics., params., tags., attributes. or datasets.`);
      }
      i++; // the dot
      let key: string;
      if (text[i] === '`' || text[i] === '"') {
        const quoted = readQuoted(text, i);
        key = quoted.value;
        i = quoted.end;
      } else {
        const unquoted = match(UNQUOTED_KEY);
        if (!unquoted) throw filterError(text, i, `expected a key after "${word}."`);
        key = unquoted;
        i += unquoted.length;
      }
      if (key === '') throw filterError(text, start, `the ${word} key is empty`);
      tokens.push({ type: 'ident', identifier: { entity, key, position: start }, position: start });
    } else {
      throw filterError(text, start, `unexpected character "${c}"`);
    }
  }
  tokens.push({ type: 'end', position: text.length });
  return tokens;
}

/** A quoted string or key starting at `start`; the quote doubled, or backslash-escaped, stands for itself. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else if (c === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i += 2;
      } else {
        return { value, end: i + 1 };
      }
    } else {
      value += c;
      i++;
    }
  }
  throw filterError(text, start, `the quoted text starting here is never closed (missing ${quote})`);
}

class Parser {
  private index = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    return this.tokens[this.index++]!;
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.type === 'keyword' && t.word === word;
  }

  fail(token: Token, expected: string): never {
    throw filterError(this.text, token.position, `expected ${expected}, found ${describe(token, this.text)}`);
  }

  parseFilter(): FilterNode {
    const node = this.parseOr();
    const t = this.peek();
    if (t.type !== 'end') this.fail(t, t.type === ')' ? 'no ")" without a matching "("' : '"and", "or" or the end of the filter');
    return node;
  }

  private parseOr(): FilterNode {
    const items = [this.parseAnd()];
    while (this.isKeyword('OR')) {
      this.next();
      items.push(this.parseAnd());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private parseAnd(): FilterNode {
    const items = [this.parsePrimary()];
    while (this.isKeyword('AND')) {
      this.next();
      items.push(this.parsePrimary());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private parsePrimary(): FilterNode {
    const t = this.next();
    if (t.type === '(') {
      const inner = this.parseOr();
      const close = this.next();
      if (close.type !== ')') this.fail(close, '")" to close the "(" at position ' + t.position);
      return inner;
    }
    if (t.type !== 'ident') this.fail(t, 'a comparison such as metrics.auc > 0.8, or "("');
    return this.parseComparison(t.identifier);
  }

  private parseComparison(identifier: Identifier): FilterNode {
    const t = this.next();
    const compare = (op: ComparisonOperator, value: FilterValue): FilterNode => ({ kind: 'compare', identifier, op, opPosition: t.position, value });
    if (t.type === 'op') return compare(t.op, this.parseScalar(t.op));
    if (t.type === 'keyword') {
      if (t.word === 'LIKE' || t.word === 'ILIKE') return compare(t.word, this.parseScalar(t.word));
      if (t.word === 'IN') return compare('IN', this.parseList());
      if (t.word === 'NOT') {
        const inToken = this.next();
        if (inToken.type !== 'keyword' || inToken.word !== 'IN') this.fail(inToken, '"in" after "not"');
        return compare('NOT IN', this.parseList());
      }
      if (t.word === 'IS') {
        let op: ComparisonOperator = 'IS NULL';
        if (this.isKeyword('NOT')) {
          this.next();
          op = 'IS NOT NULL';
        }
        const nullToken = this.next();
        if (nullToken.type !== 'keyword' || nullToken.word !== 'NULL') this.fail(nullToken, '"null"');
        return compare(op, { kind: 'none', position: nullToken.position });
      }
    }
    return this.fail(t, 'an operator (=, !=, <, <=, >, >=, like, ilike, in, not in, is null)');
  }

  private parseScalar(op: string): FilterValue {
    const t = this.next();
    if (t.type === 'string') return { kind: 'string', value: t.value, position: t.position };
    if (t.type === 'number') return { kind: 'number', value: t.value, position: t.position };
    return this.fail(t, `a quoted string or a number after "${op.toLowerCase()}"`);
  }

  private parseList(): FilterValue {
    const open = this.next();
    if (open.type !== '(') this.fail(open, 'a list such as (\'a\', \'b\')');
    const values: string[] = [];
    for (;;) {
      const item = this.next();
      if (item.type !== 'string') this.fail(item, 'a quoted string in the list');
      values.push(item.value);
      const sep = this.next();
      if (sep.type === ')') break;
      if (sep.type !== ',') this.fail(sep, '"," or ")" in the list');
    }
    return { kind: 'list', values, position: open.position };
  }

  parseOrderBy(): OrderByClause {
    const t = this.next();
    if (t.type !== 'ident') this.fail(t, 'a key to order by such as metrics.auc or attributes.start_time');
    let descending = false;
    const dir = this.peek();
    if (dir.type === 'keyword' && (dir.word === 'ASC' || dir.word === 'DESC')) {
      descending = dir.word === 'DESC';
      this.next();
    }
    const end = this.peek();
    if (end.type !== 'end') this.fail(end, '"asc", "desc" or the end of the order-by clause');
    return { identifier: t.identifier, descending };
  }
}

function describe(token: Token, text: string): string {
  switch (token.type) {
    case 'end':
      return 'the end of the filter';
    case 'ident':
      return `"${text.slice(token.identifier.position).split(/\s/)[0]}"`;
    case 'keyword':
      return `"${token.word.toLowerCase()}"`;
    case 'op':
      return `"${token.op}"`;
    case 'string':
      return `the string '${token.value}'`;
    case 'number':
      return `the number ${token.value}`;
    default:
      return `"${token.type}"`;
  }
}

/** Parses a filter; an empty or blank one is `undefined` (every run). */
export function parseFilter(text: string | undefined): FilterNode | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return new Parser(text, tokenize(text)).parseFilter();
}

/** Parses one `order_by` entry: `metrics.auc DESC`, `params.lr`, ``metrics.`f1 score` asc``. */
export function parseOrderBy(text: string): OrderByClause {
  return new Parser(text, tokenize(text)).parseOrderBy();
}
