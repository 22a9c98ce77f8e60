import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, sha256File, sha256Hex } from '../../../src/core/crypto/index.js';

const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vector for strings and bytes alike', () => {
    expect(sha256Hex('abc')).toBe(ABC_SHA256);
    expect(sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(ABC_SHA256);
  });

  it('hashes strings as UTF-8', () => {
    expect(sha256Hex('فلج')).toBe(sha256Hex(Buffer.from('فلج', 'utf8')));
    expect(sha256Hex('فلج')).not.toBe(sha256Hex(Buffer.from('فلج', 'latin1')));
  });
});

describe('sha256File', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-digest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('equals sha256Hex of the contents, across many stream chunks', async () => {
    const content = Buffer.alloc(1_000_003);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31) % 251;
    const path = join(dir, 'big.bin');
    await writeFile(path, content);
    expect(await sha256File(path)).toBe(sha256Hex(content));
  });

  it('hashes an empty file', async () => {
    const path = join(dir, 'empty');
    await writeFile(path, '');
    expect(await sha256File(path)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('rejects for a missing file', async () => {
    await expect(sha256File(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, so insertion order does not matter', () => {
    const a = { b: 1, a: { z: [3, { y: 1, x: 2 }], c: 'x' } };
    const b = { a: { c: 'x', z: [3, { x: 2, y: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"c":"x","z":[3,{"x":2,"y":1}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
    expect(sha256Hex(canonicalJson(b))).toBe(sha256Hex(canonicalJson(a)));
  });

  it('keeps array order: arrays are data, not sets', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('omits undefined properties, writes Dates as ISO strings and has no whitespace', () => {
    const value = { when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), gone: undefined, list: [undefined, 'a b'] };
    expect(canonicalJson(value)).toBe('{"list":[null,"a b"],"when":"2024-01-02T03:04:05.006Z"}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('is stable: the same value always gives the same string', () => {
    const value = { id: 'm1', metrics: { auc: 0.91, loss: 0.2 }, tags: ['x'], nested: { deep: { n: null } } };
    const first = canonicalJson(value);
    expect(canonicalJson(structuredClone(value))).toBe(first);
    expect(JSON.parse(first)).toEqual(value);
  });

  it('escapes strings and keys as JSON does', () => {
    expect(canonicalJson({ 'a"b': 'line\nbreak' })).toBe('{"a\\"b":"line\\nbreak"}');
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('throws on cycles instead of recursing forever, but allows shared references', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
    const shared = { v: 1 };
    expect(canonicalJson({ x: shared, y: shared })).toBe('{"x":{"v":1},"y":{"v":1}}');
  });
});
