import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Keyring,
  keyringFromJson,
  loadOrCreateKeyring,
  saveKeyring,
  sha256Hex,
  type MasterKey,
} from '../../../src/core/crypto/index.js';
import { ConfigError, NotFoundError } from '../../../src/core/errors/index.js';

const POSIX = process.platform !== 'win32';

function masterKey(id: string, createdAt: string): MasterKey {
  return { id, key: randomBytes(32), createdAt };
}

describe('Keyring', () => {
  it('makes the newest key active unless told otherwise', () => {
    const keys = [masterKey('new', '2025-03-01T00:00:00Z'), masterKey('old', '2024-01-01T00:00:00Z')];
    expect(new Keyring(keys).activeKeyId).toBe('new');
    expect(new Keyring(keys, 'old').activeKeyId).toBe('old');
    expect(new Keyring(keys).keyIds).toEqual(['old', 'new']);
  });

  it('rotate adds an active key and keeps the old ones', () => {
    const keyring = Keyring.generate();
    const before = keyring.activeKeyId;
    const fresh = keyring.rotate();
    expect(fresh.key).toHaveLength(32);
    expect(keyring.activeKeyId).toBe(fresh.id);
    expect(fresh.id).not.toBe(before);
    expect(keyring.key(before).id).toBe(before);
    expect(keyring.keyIds).toEqual([before, fresh.id]);
  });

  it('round-trips through toPersisted / keyringFromJson', () => {
    const keyring = Keyring.generate();
    keyring.rotate();
    const copy = keyringFromJson(JSON.parse(JSON.stringify(keyring.toPersisted())));
    expect(copy.activeKeyId).toBe(keyring.activeKeyId);
    for (const id of keyring.keyIds) expect(copy.key(id).key.equals(keyring.key(id).key)).toBe(true);
  });

  it('unknown key id is a NotFoundError FALAJ_CRYPTO_KEY_UNKNOWN', () => {
    const keyring = Keyring.generate();
    expect(() => keyring.key('nope')).toThrow(NotFoundError);
    expect(() => keyring.key('nope')).toThrow(expect.objectContaining({ code: 'FALAJ_CRYPTO_KEY_UNKNOWN' }));
  });

  it('rejects empty keyrings, short keys, duplicate ids and an unknown active id', () => {
    const ok = masterKey('a', '2024-01-01T00:00:00Z');
    const cases: [MasterKey[], string?][] = [
      [[]],
      [[{ ...ok, key: randomBytes(16) }]],
      [[ok, { ...ok }]],
      [[{ ...ok, id: 'has space' }]],
      [[ok], 'b'],
    ];
    for (const [keys, active] of cases) {
      expect(() => new Keyring(keys, active)).toThrow(expect.objectContaining({ code: 'FALAJ_CRYPTO_KEY_INVALID' }));
    }
  });

  it('keeps keys out of util.inspect output', () => {
    const keyring = Keyring.generate();
    const text = inspect(keyring, { depth: 10, showHidden: true });
    expect(text).not.toContain(keyring.activeKey.key.toString('base64'));
    expect(text).not.toContain(keyring.activeKey.key.toString('hex'));
  });
});

describe('Keyring.fromMasterKey', () => {
  it('builds a single-key keyring whose id is 8 hex of the key hash', () => {
    const key = randomBytes(32);
    const keyring = Keyring.fromMasterKey(key.toString('base64'));
    expect(keyring.activeKeyId).toBe(sha256Hex(key).slice(0, 8));
    expect(keyring.activeKey.key.equals(key)).toBe(true);
    expect(keyring.keyIds).toHaveLength(1);
  });

  it('rejects a 16-byte key without putting the key in the message', () => {
    const key = randomBytes(16);
    const base64 = key.toString('base64');
    const error = (() => {
      try {
        Keyring.fromMasterKey(base64);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'FALAJ_CRYPTO_KEY_INVALID' });
    const message = (error as Error).message;
    expect(message).toMatch(/32 bytes/);
    expect(message).not.toContain(base64);
    expect(message).not.toContain(base64.replace(/=+$/, ''));
    expect(message).not.toContain(key.toString('hex'));
    expect(JSON.stringify(error)).not.toContain(base64);
  });

  it('rejects text that is not base64', () => {
    expect(() => Keyring.fromMasterKey('%'.repeat(44))).toThrow(expect.objectContaining({ code: 'FALAJ_CRYPTO_KEY_INVALID' }));
  });
});

describe('keyring file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-keyring-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is created on first use with one 32-byte key, mode 0600, and loaded unchanged after', async () => {
    const file = join(dir, 'a', 'keyring.json');
    const created = await loadOrCreateKeyring(file);
    if (POSIX) expect((await stat(file)).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    expect(doc).toMatchObject({ version: 1, active: created.activeKeyId });
    expect(doc.keys).toHaveLength(1);
    expect(Buffer.from(doc.keys[0].key, 'base64')).toHaveLength(32);
    const loaded = await loadOrCreateKeyring(file);
    expect(loaded.activeKey.key.equals(created.activeKey.key)).toBe(true);
  });

  it('agrees on one keyring when first calls race', async () => {
    const file = join(dir, 'race', 'keyring.json');
    const keyrings = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKeyring(file)));
    expect(new Set(keyrings.map((k) => k.activeKeyId)).size).toBe(1);
  });

  it('saveKeyring persists a rotation, keeping mode 0600', async () => {
    const file = join(dir, 'rotate.json');
    const keyring = await loadOrCreateKeyring(file);
    const old = keyring.activeKeyId;
    keyring.rotate();
    await saveKeyring(file, keyring);
    if (POSIX) expect((await stat(file)).mode & 0o777).toBe(0o600);
    const loaded = await loadOrCreateKeyring(file);
    expect(loaded.activeKeyId).toBe(keyring.activeKeyId);
    expect(loaded.keyIds).toEqual([old, keyring.activeKeyId]);
  });

  it.runIf(POSIX)('tightens a looser mode to 0600 on load', async () => {
    const file = join(dir, 'loose.json');
    await saveKeyring(file, Keyring.generate());
    await chmod(file, 0o640);
    await loadOrCreateKeyring(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('rejects malformed files naming the file and never quoting its content', async () => {
    const secret = randomBytes(16).toString('base64');
    const bodies = [
      `{"version":1,"active":"a","keys":[{"id":"a","key":"${secret}","createdAt":"2024-01-01T00:00:00Z"}]}`,
      `{"version":1, "key": "${secret}" oops`,
      '{"version":2,"active":"a","keys":[]}',
    ];
    for (const [i, body] of bodies.entries()) {
      const file = join(dir, `bad-${i}.json`);
      await writeFile(file, body);
      const error = await loadOrCreateKeyring(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ code: 'FALAJ_CRYPTO_KEY_INVALID' });
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).not.toContain(secret);
    }
  });
});

describe('Keyring serialisation for logs', () => {
  it('JSON.stringify shows key ids, never key material', () => {
    const keyring = Keyring.generate();
    const text = JSON.stringify({ keyring });
    expect(text).toContain(keyring.activeKeyId);
    expect(text).not.toContain(keyring.key(keyring.activeKeyId).key.toString('base64'));
  });
});
