import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Keyring,
  decrypt,
  encrypt,
  envelopeKeyId,
  loadOrCreateKeyring,
  rewrap,
  saveKeyring,
} from '../../../src/core/crypto/index.js';
import { IntegrityError, NotFoundError } from '../../../src/core/errors/index.js';

const PLAINTEXT = Buffer.from('{"token":"s3cr3t-value-for-envelope-tests"}');
const TAMPERED = expect.objectContaining({ code: 'FALAJ_CRYPTO_TAMPERED' });
const UNKNOWN = expect.objectContaining({ code: 'FALAJ_CRYPTO_KEY_UNKNOWN' });

/** A keyring whose one key has a known id, so the header layout is known. */
function fixedKeyring(): Keyring {
  return new Keyring([{ id: 'primary', key: randomBytes(32), createdAt: '2024-01-01T00:00:00Z' }]);
}

// Layout for key id "primary" (7 bytes): see envelope-format.ts.
const ID_START = 6;
const ID_END = ID_START + 7;
const HEADER_END = ID_END + 12 + 16 + 32 + 12 + 16;

describe('envelope encrypt / decrypt', () => {
  it('round-trips, with and without AAD, including empty and large plaintexts', () => {
    const keyring = Keyring.generate();
    expect(decrypt(keyring, encrypt(keyring, PLAINTEXT)).equals(PLAINTEXT)).toBe(true);
    expect(decrypt(keyring, encrypt(keyring, PLAINTEXT, 'proj/a'), 'proj/a').equals(PLAINTEXT)).toBe(true);
    const aad = new Uint8Array([1, 2, 3]);
    expect(decrypt(keyring, encrypt(keyring, PLAINTEXT, aad), aad).equals(PLAINTEXT)).toBe(true);
    expect(decrypt(keyring, encrypt(keyring, new Uint8Array(0)))).toHaveLength(0);
    const big = randomBytes(3_000_000);
    expect(decrypt(keyring, encrypt(keyring, big)).equals(big)).toBe(true);
  });

  it('writes the self-describing format and never the plaintext', () => {
    const keyring = fixedKeyring();
    const blob = encrypt(keyring, PLAINTEXT);
    expect(blob.subarray(0, 4).toString('ascii')).toBe('FLJE');
    expect(blob[4]).toBe(1);
    expect(blob[5]).toBe(7);
    expect(blob.subarray(ID_START, ID_END).toString('utf8')).toBe('primary');
    expect(blob).toHaveLength(HEADER_END + PLAINTEXT.length);
    expect(blob.includes(PLAINTEXT.subarray(0, 12))).toBe(false);
    expect(envelopeKeyId(blob)).toBe('primary');
  });

  it('uses a fresh data key and IVs per call', () => {
    const keyring = Keyring.generate();
    const a = encrypt(keyring, PLAINTEXT);
    const b = encrypt(keyring, PLAINTEXT);
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(-PLAINTEXT.length).equals(b.subarray(-PLAINTEXT.length))).toBe(false);
  });

  it('throws FALAJ_CRYPTO_TAMPERED when any byte outside the key id is flipped', () => {
    const keyring = fixedKeyring();
    const blob = encrypt(keyring, PLAINTEXT, 'aad');
    let checked = 0;
    for (let position = 0; position < blob.length; position++) {
      if (position >= ID_START && position < ID_END) continue;
      const altered = Buffer.from(blob);
      altered[position] = altered[position]! ^ 0xff;
      expect(() => decrypt(keyring, altered, 'aad'), `byte ${position}`).toThrow(TAMPERED);
      checked++;
    }
    expect(checked).toBe(blob.length - 7);
    expect(() => decrypt(keyring, Buffer.from(blob), 'aad')).not.toThrow();
  });

  it('a flipped key id byte is malformed (tampered) or names a key the keyring lacks (unknown)', () => {
    const keyring = fixedKeyring();
    const blob = encrypt(keyring, PLAINTEXT);
    for (let position = ID_START; position < ID_END; position++) {
      const nonAscii = Buffer.from(blob);
      nonAscii[position] = nonAscii[position]! ^ 0xff;
      expect(() => decrypt(keyring, nonAscii)).toThrow(TAMPERED);
      const otherCase = Buffer.from(blob); // 'primary' -> e.g. 'Primary': well-formed, not in the keyring
      otherCase[position] = otherCase[position]! ^ 0x20;
      expect(() => decrypt(keyring, otherCase)).toThrow(UNKNOWN);
    }
  });

  it('throws FALAJ_CRYPTO_TAMPERED for wrong or missing AAD', () => {
    const keyring = Keyring.generate();
    const blob = encrypt(keyring, PLAINTEXT, 'project-a/token');
    expect(() => decrypt(keyring, blob, 'project-b/token')).toThrow(TAMPERED);
    expect(() => decrypt(keyring, blob)).toThrow(TAMPERED);
    expect(() => decrypt(keyring, encrypt(keyring, PLAINTEXT), 'unexpected')).toThrow(TAMPERED);
    expect(() => decrypt(keyring, blob, 'project-b/token')).toThrow(IntegrityError);
  });

  it('throws FALAJ_CRYPTO_TAMPERED for truncated blobs and foreign data', () => {
    const keyring = fixedKeyring();
    const blob = encrypt(keyring, PLAINTEXT);
    for (const length of [0, 3, 4, 5, 6, 10, ID_END, HEADER_END - 1, HEADER_END, blob.length - 1]) {
      expect(() => decrypt(keyring, blob.subarray(0, length)), `length ${length}`).toThrow(TAMPERED);
    }
    expect(() => decrypt(keyring, Buffer.from('plain text, not an envelope'))).toThrow(TAMPERED);
    expect(() => decrypt(keyring, Buffer.concat([blob, Buffer.of(0)]))).toThrow(TAMPERED);
  });

  it('throws FALAJ_CRYPTO_KEY_UNKNOWN for a key the keyring lacks', () => {
    const blob = encrypt(Keyring.generate(), PLAINTEXT);
    const error = (() => {
      try {
        decrypt(Keyring.generate(), blob);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toEqual(UNKNOWN);
    expect((error as Error).message).toContain(envelopeKeyId(blob));
  });

  it('fails the integrity check under a different key with the same id', () => {
    const blob = encrypt(fixedKeyring(), PLAINTEXT);
    expect(() => decrypt(fixedKeyring(), blob)).toThrow(TAMPERED);
  });
});

describe('envelope key rotation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-envelope-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('data encrypted before a rotation still decrypts after rotate, save and reload', async () => {
    const file = join(dir, 'keyring.json');
    const keyring = await loadOrCreateKeyring(file);
    const oldId = keyring.activeKeyId;
    const before = encrypt(keyring, PLAINTEXT, 'ctx');

    keyring.rotate();
    await saveKeyring(file, keyring);
    const reloaded = await loadOrCreateKeyring(file);

    expect(reloaded.activeKeyId).not.toBe(oldId);
    expect(decrypt(reloaded, before, 'ctx').equals(PLAINTEXT)).toBe(true);
    const after = encrypt(reloaded, PLAINTEXT, 'ctx');
    expect(envelopeKeyId(after)).toBe(reloaded.activeKeyId);
    expect(decrypt(reloaded, after, 'ctx').equals(PLAINTEXT)).toBe(true);
  });

  it('rewrap moves the blob to the active key without touching the data ciphertext', () => {
    const keyring = fixedKeyring();
    const blob = encrypt(keyring, PLAINTEXT, 'ctx');
    const fresh = keyring.rotate();

    const rewrapped = rewrap(keyring, blob);
    expect(envelopeKeyId(blob)).toBe('primary');
    expect(envelopeKeyId(rewrapped)).toBe(fresh.id);
    // data iv, tag and ciphertext are the same bytes
    const dataTail = 12 + 16 + PLAINTEXT.length;
    expect(rewrapped.subarray(-dataTail).equals(blob.subarray(-dataTail))).toBe(true);
    expect(decrypt(keyring, rewrapped, 'ctx').equals(PLAINTEXT)).toBe(true);

    // Once rewrapped, the old key is no longer needed.
    const onlyNew = new Keyring([fresh]);
    expect(decrypt(onlyNew, rewrapped, 'ctx').equals(PLAINTEXT)).toBe(true);
    expect(() => decrypt(onlyNew, blob, 'ctx')).toThrow(UNKNOWN);
  });

  it('rewrap refuses a tampered wrapped key', () => {
    const keyring = fixedKeyring();
    const blob = encrypt(keyring, PLAINTEXT);
    keyring.rotate();
    const altered = Buffer.from(blob);
    altered[ID_END + 12 + 16] = altered[ID_END + 12 + 16]! ^ 0x01;
    expect(() => rewrap(keyring, altered)).toThrow(TAMPERED);
  });
});
