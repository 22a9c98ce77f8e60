import { InputError } from '../core/errors/index.js';

/**
 * The filter strings of MLflow's registry searches (`search_registered_models`,
 * `search_model_versions`): comparisons joined by AND, e.g.
 * `name LIKE 'fraud-%' AND tags.team = 'risk'`, `run_id IN ('a', 'b')`. Keys with
 * special characters are quoted with backticks or double quotes (`tags.\`my key\``).
 */
export interface RegistryCondition {
  /** `name`, `run_id`, `source_path`, `version_number`, or `tags.<key>` */
  field: string;
  op: '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN';
  values: string[];
}

const TOKEN = /\s*(?:(\()|(\))|(,)|('(?:[^']|'')*')|("(?:[^"]|"")*")|(`[^`]*`)|(!=|=)|([A-Za-z_]\w*(?:\.(?:\w+|`[^`]*`|"(?:[^"]|"")*"))*))/y;

function unquote(text: string): string {
  const q = text[0];
  if (q === "'" || q === '"') return text.slice(1, -1).replaceAll(q + q, q);
  if (q === '`') return text.slice(1, -1);
  return text;
}

function bad(filter: string, message: string): InputError {
  return new InputError('FALAJ_FILTER_INVALID', `invalid filter "${filter}": ${message}`);
}

export function parseRegistryFilter(filter: string | undefined): RegistryCondition[] {
  const text = (filter ?? '').trim();
  if (text === '') return [];
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m || m[0].trim() === '') {
      if (text.slice(at).trim() === '') break;
      throw bad(text, `unexpected text at "${text.slice(at, at + 20)}"`);
    }
    tokens.push(m[0].trim());
  }
  const out: RegistryCondition[] = [];
  let i = 0;
  const next = () => tokens[i++];
  for (;;) {
    const ident = next();
    if (!ident || !/^[A-Za-z_]/.test(ident)) throw bad(text, `expected a field name${ident ? `, not "${ident}"` : ''}`);
    const field = ident.includes('.') ? `${ident.slice(0, ident.indexOf('.'))}.${unquote(ident.slice(ident.indexOf('.') + 1))}` : ident;
    const rawOp = next()?.toUpperCase();
    if (rawOp !== '=' && rawOp !== '!=' && rawOp !== 'LIKE' && rawOp !== 'ILIKE' && rawOp !== 'IN') throw bad(text, `expected =, !=, LIKE, ILIKE or IN after ${field}`);
    const values: string[] = [];
    if (rawOp === 'IN') {
      if (next() !== '(') throw bad(text, 'IN takes a list: IN (\'a\', \'b\')');
      for (;;) {
        const v = next();
        if (!v || !/^['"]/.test(v)) throw bad(text, 'IN lists hold quoted strings');
        values.push(unquote(v));
        const sep = next();
        if (sep === ')') break;
        if (sep !== ',') throw bad(text, 'expected , or ) in the IN list');
      }
    } else {
      const v = next();
      if (!v || !/^['"]/.test(v)) throw bad(text, `the value compared with ${field} must be a quoted string`);
      values.push(unquote(v));
    }
    out.push({ field, op: rawOp, values });
    const joiner = next();
    if (joiner === undefined) return out;
    if (joiner.toUpperCase() !== 'AND') throw bad(text, `conditions are joined by AND, not "${joiner}"`);
  }
}

/** Refuses a condition the Falaj registry cannot answer, naming what it can. */
export function unsupported(condition: RegistryCondition, supported: string): InputError {
  return new InputError('FALAJ_FILTER_INVALID', `filter on ${condition.field} ${condition.op} is not supported by Falaj's registry search; supported: ${supported}`);
}
