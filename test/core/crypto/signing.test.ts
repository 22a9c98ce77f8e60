import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SigningKey,
  assertSignature,
  loadOrCreateSigningKey,
  sha256Hex,
  verifySignature,
} from '../../../src/core/crypto/index.js';
import { ConfigError, IntegrityError } from '../../../src/core/errors/index.js';

const POSIX = process.platform !== 'win32';
const DATA = Buffer.from('{"model":"fraud","version":3}');

describe('SigningKey', () => {
  const key = SigningKey.generate();
  const signature = key.sign(DATA);

  it('signs so that the public key verifies', () => {
    expect(verifySignature(key.publicKeyPem(), DATA, signature)).toBe(true);
    expect(key.verify(DATA, signature)).toBe(true);
    expect(() => assertSignature(key.publicKeyPem(), DATA, signature)).not.toThrow();
  });

  it('signs strings as their UTF-8 bytes', () => {
    const text = 'نموذج v1';
    expect(verifySignature(key.publicKeyPem(), Buffer.from(text, 'utf8'), key.sign(text))).toBe(true);
  });

  it('rejects the signature after any single byte of the data changes', () => {
    for (const position of [0, 7, DATA.length - 1]) {
      const altered = Buffer.from(DATA);
      altered[position] = altered[position]! ^ 0x01;
      expect(verifySignature(key.publicKeyPem(), altered, signature)).toBe(false);
    }
  });

  it('rejects a signature with any single byte flipped', () => {
    const bytes = Buffer.from(signature, 'base64url');
    expect(bytes).toHaveLength(64);
    for (const position of [0, 1, 31, 32, 63]) {
      const altered = Buffer.from(bytes);
      altered[position] = altered[position]! ^ 0x01;
      expect(verifySignature(key.publicKeyPem(), DATA, altered.toString('base64url'))).toBe(false);
    }
  });

  it('rejects non-canonical or malformed signature strings', () => {
    // The last character carries 2 data bits and 4 unused bits: setting an unused bit
    // decodes to the same bytes but is not the signature that was issued.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1)!);
    const sameBytes = signature.slice(0, -1) + alphabet[last ^ 0x01];
    expect(Buffer.from(sameBytes, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
    expect(verifySignature(key.publicKeyPem(), DATA, sameBytes)).toBe(false);
    expect(verifySignature(key.publicKeyPem(), DATA, `${signature}=`)).toBe(false);
    expect(verifySignature(key.publicKeyPem(), DATA, '')).toBe(false);
  });

  it("rejects the signature under another key's public key", () => {
    const other = SigningKey.generate();
    expect(other.keyId).not.toBe(key.keyId);
    expect(verifySignature(other.publicKeyPem(), DATA, signature)).toBe(false);
  });

  it('assertSignature throws FALAJ_SIGNATURE_INVALID naming the thing', () => {
    const other = SigningKey.generate();
    const attempt = () => assertSignature(other.publicKeyPem(), DATA, signature, 'manifest of fraud v3');
    expect(attempt).toThrow(IntegrityError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'FALAJ_SIGNATURE_INVALID' }));
    expect(attempt).toThrow(/manifest of fraud v3/);
  });

  it('keyId is 16 hex of the SHA-256 of the SPKI DER public key', () => {
    const der = createPublicKey(key.publicKeyPem()).export({ type: 'spki', format: 'der' });
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(key.keyId).toBe(sha256Hex(der).slice(0, 16));
  });

  it('round-trips through PEM', () => {
    const pem = key.toPrivatePem();
    expect(pem).toContain('BEGIN PRIVATE KEY');
    const reloaded = SigningKey.fromPem(pem);
    expect(reloaded.keyId).toBe(key.keyId);
    expect(verifySignature(key.publicKeyPem(), DATA, reloaded.sign(DATA))).toBe(true);
  });

  it('does not reveal the private key in JSON', () => {
    expect(JSON.stringify(key)).not.toContain(key.toPrivatePem().split('\n')[1]!.slice(0, 20));
  });

  it('fromPem rejects garbage, public keys and non-Ed25519 keys with FALAJ_CRYPTO_KEY_INVALID', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    for (const pem of ['not a key', key.publicKeyPem(), rsa.toString()]) {
      expect(() => SigningKey.fromPem(pem)).toThrow(expect.objectContaining({ code: 'FALAJ_CRYPTO_KEY_INVALID' }));
    }
    expect(() => SigningKey.fromPem('x')).toThrow(ConfigError);
  });

  it('verifySignature rejects a public key that is not Ed25519 PEM', () => {
    expect(() => verifySignature('nope', DATA, signature)).toThrow(expect.objectContaining({ code: 'FALAJ_CRYPTO_KEY_INVALID' }));
  });
});

describe('loadOrCreateSigningKey', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-signing-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 PEM file (and its directories) and loads the same key next time', async () => {
    const file = join(dir, 'nested', 'keys', 'signing.pem');
    const created = await loadOrCreateSigningKey(file);
    if (POSIX) expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe(created.toPrivatePem());
    const loaded = await loadOrCreateSigningKey(file);
    expect(loaded.keyId).toBe(created.keyId);
    expect(verifySignature(created.publicKeyPem(), DATA, loaded.sign(DATA))).toBe(true);
    expect((await readdir(join(dir, 'nested', 'keys'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('agrees on one key when first calls race', async () => {
    const file = join(dir, 'race', 'signing.pem');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSigningKey(file)));
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(1);
    expect((await loadOrCreateSigningKey(file)).keyId).toBe(keys[0]!.keyId);
  });

  it.runIf(POSIX)('tightens a looser file mode to 0600', async () => {
    const file = join(dir, 'loose.pem');
    const key = SigningKey.generate();
    await writeFile(file, key.toPrivatePem());
    await chmod(file, 0o644);
    expect((await loadOrCreateSigningKey(file)).keyId).toBe(key.keyId);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('rejects a malformed file with FALAJ_CRYPTO_KEY_INVALID naming the file, and keeps the file', async () => {
    const file = join(dir, 'broken.pem');
    await writeFile(file, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    const error = await loadOrCreateSigningKey(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'FALAJ_CRYPTO_KEY_INVALID' });
    expect((error as Error).message).toContain(file);
    expect(await readFile(file, 'utf8')).toContain('AAAA');
  });
});
