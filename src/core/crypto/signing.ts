import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { ConfigError, IntegrityError } from '../errors/index.js';
import { sha256Hex } from './digest.js';
import { readSecretFile, writeSecretFile } from './secret-file.js';

/** An Ed25519 signature is 64 bytes: 86 base64url characters without padding. */
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;

/**
 * The platform's Ed25519 signing key (signs model manifests, audit checkpoints).
 * The private key lives in a private field, so it never shows in logs or JSON.
 *
 * @example
 * const key = SigningKey.generate();
 * const signature = key.sign(canonicalJson(manifest));
 * verifySignature(key.publicKeyPem(), canonicalJson(manifest), signature); // true
 */
export class SigningKey {
  /** First 16 hex characters of the SHA-256 of the public key's SPKI DER encoding. */
  readonly keyId: string;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    this.#publicKey = createPublicKey(privateKey);
    this.keyId = sha256Hex(this.#publicKey.export({ type: 'spki', format: 'der' })).slice(0, 16);
  }

  /** A fresh random key. */
  static generate(): SigningKey {
    return new SigningKey(generateKeyPairSync('ed25519').privateKey);
  }

  /**
   * Loads an unencrypted PKCS#8 PEM Ed25519 private key.
   * @throws ConfigError `FALAJ_CRYPTO_KEY_INVALID` when it is not one.
   */
  static fromPem(privatePem: string): SigningKey {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: privatePem, format: 'pem' });
    } catch (cause) {
      throw new ConfigError('FALAJ_CRYPTO_KEY_INVALID', 'Signing key is not a valid unencrypted PKCS#8 PEM private key', { cause });
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new ConfigError('FALAJ_CRYPTO_KEY_INVALID', `Signing key must be Ed25519, got ${key.asymmetricKeyType ?? 'unknown'}`);
    }
    return new SigningKey(key);
  }

  /** The private key as PKCS#8 PEM, for persistence only: it is secret. */
  toPrivatePem(): string {
    return this.#privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  /** The public key as SPKI PEM, safe to publish. */
  publicKeyPem(): string {
    return this.#publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** Signs `data` (a string is signed as its UTF-8 bytes); returns the signature as base64url. */
  sign(data: string | Uint8Array): string {
    return sign(null, toBytes(data), this.#privateKey).toString('base64url');
  }

  /** Whether `signature` is this key's signature over `data`. */
  verify(data: string | Uint8Array, signature: string): boolean {
    return verifyWith(this.#publicKey, data, signature);
  }
}

/**
 * Whether `signature` (base64url, as {@link SigningKey.sign} returns) is a valid
 * Ed25519 signature over `data` by the key in `publicKeyPem`. A malformed signature
 * is simply invalid.
 *
 * @throws ConfigError `FALAJ_CRYPTO_KEY_INVALID` when `publicKeyPem` is not an Ed25519 public key.
 */
export function verifySignature(publicKeyPem: string, data: string | Uint8Array, signature: string): boolean {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicKeyPem, format: 'pem' });
  } catch (cause) {
    throw new ConfigError('FALAJ_CRYPTO_KEY_INVALID', 'Public key is not a valid PEM public key', { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError('FALAJ_CRYPTO_KEY_INVALID', `Public key must be Ed25519, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return verifyWith(key, data, signature);
}

/**
 * Like {@link verifySignature}, but throws when the signature does not verify.
 * @param what names the signed thing in the error message, e.g. `'manifest of model fraud v3'`.
 * @throws IntegrityError `FALAJ_SIGNATURE_INVALID`
 */
export function assertSignature(
  publicKeyPem: string,
  data: string | Uint8Array,
  signature: string,
  what = 'data',
): void {
  if (!verifySignature(publicKeyPem, data, signature)) {
    throw new IntegrityError('FALAJ_SIGNATURE_INVALID', `Signature on ${what} does not verify: it was altered or signed by another key`);
  }
}

/**
 * Loads the platform signing key from `filePath` (PKCS#8 PEM), tightening the file's
 * mode to 0600 if it is looser; on first use generates a key and writes it there
 * atomically with mode 0600, creating the directory. Concurrent first calls agree on one key.
 *
 * @throws ConfigError `FALAJ_CRYPTO_KEY_INVALID` naming the file when it holds no valid key.
 */
export async function loadOrCreateSigningKey(filePath: string): Promise<SigningKey> {
  const existing = await readSecretFile(filePath);
  if (existing !== undefined) return parseKeyFile(filePath, existing);
  const key = SigningKey.generate();
  if (await writeSecretFile(filePath, key.toPrivatePem(), { replace: false })) return key;
  // Another process created the file between our read and our write: use its key.
  return parseKeyFile(filePath, (await readSecretFile(filePath)) ?? '');
}

function parseKeyFile(filePath: string, pem: string): SigningKey {
  try {
    return SigningKey.fromPem(pem);
  } catch (cause) {
    throw new ConfigError(
      'FALAJ_CRYPTO_KEY_INVALID',
      `Signing key file ${filePath} does not hold a valid Ed25519 PKCS#8 PEM key. Restore it from backup, ` +
        'or delete it to generate a new key (signatures made with the old key will then no longer verify).',
      { cause, details: { file: filePath } },
    );
  }
}

function verifyWith(key: KeyObject, data: string | Uint8Array, signature: string): boolean {
  // Buffer's base64url decoder is lenient (ignores junk, unused trailing bits), so
  // insist on the one canonical encoding: a signature string has exactly one form.
  if (!SIGNATURE_PATTERN.test(signature)) return false;
  const bytes = Buffer.from(signature, 'base64url');
  if (bytes.toString('base64url') !== signature) return false;
  return verify(null, toBytes(data), key, bytes);
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}
