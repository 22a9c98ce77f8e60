import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestApp } from '../helpers/app.js';

/**
 * Replays the request/response pairs in `test/mlflow/fixtures/*.json`, taken from MLflow's
 * documentation. In a fixture:
 * - `{{name}}` in a request or an expected answer is a value captured earlier (`capture`
 *   maps a name to a dotted path in an answer's JSON);
 * - `"<string>"`, `"<int>"`, `"<number>"`, `"<bool>"` match any value of that type, and
 *   `"<absent>"` requires the field to be missing;
 * - an expected object lists the documented fields to check (others may be present);
 *   an expected array must match element for element, in any order.
 */
export interface Exchange {
  title: string;
  doc: string;
  request: { method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; path: string; query?: Record<string, string>; body?: unknown; rawBody?: string; headers?: Record<string, string> };
  response: { status: number; body?: unknown; rawResponse?: string };
  capture?: Record<string, string>;
}

export interface FixtureFile {
  $comment: string;
  exchanges: Exchange[];
}

export function loadFixture(name: string): FixtureFile {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as FixtureFile;
}

export type Vars = Record<string, string>;

function substitute(value: unknown, vars: Vars): unknown {
  if (typeof value === 'string') {
    return value.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      if (!(name in vars)) throw new Error(`fixture uses {{${name}}} before capturing it`);
      return vars[name]!;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

/** Sends one exchange's request through `app.inject`, with the admin token unless `headers` say otherwise. */
export async function send(t: TestApp, exchange: Exchange, vars: Vars, headers: Record<string, string> = t.auth()): Promise<LightMyRequestResponse> {
  const request = substitute(exchange.request, vars) as Exchange['request'];
  const hasJson = request.body !== undefined;
  return t.app.inject({
    method: request.method,
    url: request.path,
    ...(request.query ? { query: request.query } : {}),
    headers: { ...headers, ...(hasJson ? { 'content-type': 'application/json' } : {}), ...request.headers },
    ...(hasJson ? { payload: JSON.stringify(request.body) } : {}),
    ...(request.rawBody !== undefined ? { payload: Buffer.from(request.rawBody, 'utf8') } : {}),
  });
}

const TYPE_MARKERS: Record<string, (v: unknown) => boolean> = {
  '<string>': (v) => typeof v === 'string',
  '<int>': (v) => Number.isInteger(v),
  '<number>': (v) => typeof v === 'number',
  '<bool>': (v) => typeof v === 'boolean',
};

/** Where `actual` fails to match `expected`, as a list of `path: reason` lines (empty = match). */
export function mismatches(actual: unknown, expected: unknown, path = '$'): string[] {
  if (typeof expected === 'string' && expected in TYPE_MARKERS) {
    return TYPE_MARKERS[expected]!(actual) ? [] : [`${path}: expected ${expected}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length) return [`${path}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`];
    // any order: each expected item claims one distinct actual item
    const free = actual.map((_, i) => i);
    for (const [i, item] of expected.entries()) {
      const at = free.findIndex((j) => mismatches(actual[j], item).length === 0);
      if (at < 0) return [`${path}[${i}]: no item matches ${JSON.stringify(item)} in ${JSON.stringify(actual)}`];
      free.splice(at, 1);
    }
    return [];
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    const out: string[] = [];
    for (const [key, want] of Object.entries(expected)) {
      const has = Object.prototype.hasOwnProperty.call(actual, key);
      if (want === '<absent>') {
        if (has) out.push(`${path}.${key}: expected to be absent, got ${JSON.stringify((actual as Record<string, unknown>)[key])}`);
        continue;
      }
      if (!has) {
        out.push(`${path}.${key}: missing`);
        continue;
      }
      out.push(...mismatches((actual as Record<string, unknown>)[key], want, `${path}.${key}`));
    }
    return out;
  }
  return Object.is(actual, expected) ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

function pick(json: unknown, dotted: string): string {
  let at: unknown = json;
  for (const part of dotted.split('.')) at = (at as Record<string, unknown> | undefined)?.[part];
  if (typeof at !== 'string') throw new Error(`capture ${dotted}: not a string in ${JSON.stringify(json)}`);
  return at;
}

/** Checks one answer against the fixture's expected one, and records its captures. */
export function expectAnswer(res: LightMyRequestResponse, exchange: Exchange, vars: Vars): void {
  const expected = substitute(exchange.response, vars) as Exchange['response'];
  const where = `${exchange.title} (${exchange.doc})`;
  expect(res.statusCode, `${where}: ${res.body}`).toBe(expected.status);
  // capture first, so one wrong field does not fail every later exchange too
  for (const [name, dotted] of Object.entries(exchange.capture ?? {})) vars[name] = pick(res.json(), dotted);
  if (expected.rawResponse !== undefined) {
    expect(res.body, where).toBe(expected.rawResponse);
  } else {
    expect(res.headers['content-type'], where).toMatch(/^application\/json/);
    expect(mismatches(res.json(), expected.body), where).toEqual([]);
  }
}
