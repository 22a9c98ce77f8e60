import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring, MasterKey } from './keyring.js';
import {
  DATA_KEY_BYTES,
  IV_BYTES,
  TAG_BYTES,
  parseEnvelope,
  serializeEnvelope,
  tampered,
  type EnvelopeParts,
} from './envelope-format.js';

/** Additional authenticated data: bound to the ciphertext but not encrypted. Empty equals absent. */
export type Aad = Uint8Array | string;

/**
 * Envelope-encrypts `plaintext`: a fresh random data key encrypts it with AES-256-GCM,
 * and the keyring's active master key wraps the data key. The result is a
 * self-describing blob naming the master key (layout in `envelope-format.ts`).
 *
 * Pass as `aad` what the ciphertext belongs to (e.g. `project/secret-name`), so a blob
 * copied to another record fails to decrypt there.
 *
 * Each call uses the master key once with a random 96-bit IV; rotate the keyring well
 * before 2^32 encryptions under one master key.
 *
 * @example
 * const blob = encrypt(keyring, Buffer.from(token), 'project-a/api-token');
 * decrypt(keyring, blob, 'project-a/api-token').toString(); // token
 */
export function encrypt(keyring: Keyring, plaintext: Uint8Array, aad?: Aad): Buffer {
  const master = keyring.activeKey;
  const dataKey = randomBytes(DATA_KEY_BYTES);
  try {
    const data = seal(dataKey, plaintext, aad);
    return serializeEnvelope({ ...wrapDataKey(master, dataKey), dataIv: data.iv, dataTag: data.tag, ciphertext: data.ciphertext });
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Decrypts an {@link encrypt} blob with whichever keyring key wrapped it, so data
 * encrypted before a rotation still decrypts. `aad` must equal what was given to `encrypt`.
 *
 * @throws NotFoundError `FALAJ_CRYPTO_KEY_UNKNOWN` when the keyring lacks the blob's master key.
 * @throws IntegrityError `FALAJ_CRYPTO_TAMPERED` when the blob is malformed, truncated or
 *   altered, or `aad` differs.
 */
export function decrypt(keyring: Keyring, blob: Uint8Array, aad?: Aad): Buffer {
  const parts = parseEnvelope(blob);
  const dataKey = unwrapDataKey(keyring, parts);
  try {
    return open(dataKey, parts.dataIv, parts.dataTag, parts.ciphertext, aad);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Re-wraps a blob's data key under the keyring's active master key, leaving the data
 * ciphertext untouched: after {@link Keyring.rotate}, this retires the old key without
 * re-encrypting data (and without needing its AAD). Checks the wrapped key, not the data.
 *
 * @throws NotFoundError `FALAJ_CRYPTO_KEY_UNKNOWN` / IntegrityError `FALAJ_CRYPTO_TAMPERED`, as {@link decrypt}.
 */
export function rewrap(keyring: Keyring, blob: Uint8Array): Buffer {
  const parts = parseEnvelope(blob);
  const dataKey = unwrapDataKey(keyring, parts);
  try {
    return serializeEnvelope({ ...parts, ...wrapDataKey(keyring.activeKey, dataKey) });
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Id of the master key that wrapped a blob's data key; compare it with
 * {@link Keyring.activeKeyId} to find blobs that still need {@link rewrap}.
 * @throws IntegrityError `FALAJ_CRYPTO_TAMPERED` when the blob is malformed.
 */
export function envelopeKeyId(blob: Uint8Array): string {
  return parseEnvelope(blob).keyId;
}

type WrappedKey = Pick<EnvelopeParts, 'keyId' | 'wrapIv' | 'wrapTag' | 'wrappedKey'>;

function wrapDataKey(master: MasterKey, dataKey: Buffer): WrappedKey {
  const wrapped = seal(master.key, dataKey, master.id);
  return { keyId: master.id, wrapIv: wrapped.iv, wrapTag: wrapped.tag, wrappedKey: wrapped.ciphertext };
}

function unwrapDataKey(keyring: Keyring, parts: EnvelopeParts): Buffer {
  const master = keyring.key(parts.keyId);
  return open(master.key, parts.wrapIv, parts.wrapTag, parts.wrappedKey, master.id);
}

function seal(key: Buffer, plaintext: Uint8Array, aad: Aad | undefined): { iv: Buffer; tag: Buffer; ciphertext: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(toBytes(aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

function open(key: Buffer, iv: Buffer, tag: Buffer, ciphertext: Buffer, aad: Aad | undefined): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    if (aad !== undefined) decipher.setAAD(toBytes(aad));
    // Nothing is returned before final() has checked the tag.
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw tampered('its authentication check failed');
  }
}

function toBytes(data: Aad): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}
