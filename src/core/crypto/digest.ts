import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * SHA-256 of a string (hashed as UTF-8) or of raw bytes, as lowercase hex.
 *
 * @example
 * sha256Hex('abc'); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * SHA-256 of a file's contents as lowercase hex, read as a stream so that large
 * artifacts (model weights, datasets) never sit whole in memory.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Deterministic JSON for hashing and signing: object keys sorted (by UTF-16 code unit,
 * as RFC 8785 does) at every depth, no whitespace, `undefined`/function/symbol
 * properties omitted, and `toJSON()` honoured, so Dates become ISO-8601 strings.
 * Otherwise it follows `JSON.stringify`: `undefined` inside arrays becomes `null`, as
 * do non-finite numbers; a top-level `undefined` also becomes `null`.
 *
 * Two values that are equal as data always give the same string, whatever the order
 * their keys were inserted in.
 *
 * @throws TypeError on a cyclic structure or a BigInt (programming errors, as in `JSON.stringify`).
 *
 * @example
 * canonicalJson({ b: 1, a: { d: [1, undefined], c: new Date(0) } });
 * // '{"a":{"c":"1970-01-01T00:00:00.000Z","d":[1,null]},"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, new Set()) ?? 'null';
}

/** Returns undefined for values JSON omits (undefined, functions, symbols). */
function serialize(input: unknown, ancestors: Set<object>): string | undefined {
  let value = input;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);

  if (ancestors.has(value)) throw new TypeError('canonicalJson: value contains a cycle');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item) => serialize(item, ancestors) ?? 'null').join(',')}]`;
    }
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = serialize(record[key], ancestors);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}
