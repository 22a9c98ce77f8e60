import { IntegrityError } from '../errors/index.js';
import { isValidKeyId } from './keyring.js';

/**
 * The binary envelope layout (all lengths in bytes):
 *
 * | field        | length | notes                                        |
 * |--------------|--------|----------------------------------------------|
 * | magic        | 4      | "FLJE"                                       |
 * | version      | 1      | 1                                            |
 * | keyIdLength  | 1      | n                                            |
 * | keyId        | n      | UTF-8 id of the master key that wrapped      |
 * | wrapIv       | 12     | AES-256-GCM IV for wrapping the data key     |
 * | wrapTag      | 16     | its tag (AAD = keyId)                        |
 * | wrappedKey   | 32     | the data key, encrypted under the master key |
 * | dataIv       | 12     | AES-256-GCM IV for the data                  |
 * | dataTag      | 16     | its tag (AAD = the caller's AAD)             |
 * | ciphertext   | rest   |                                              |
 */
export interface EnvelopeParts {
  keyId: string;
  wrapIv: Buffer;
  wrapTag: Buffer;
  wrappedKey: Buffer;
  dataIv: Buffer;
  dataTag: Buffer;
  ciphertext: Buffer;
}

export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;
const MAGIC = Buffer.from('FLJE', 'ascii');
const VERSION = 1;

/** Lays the parts out in the format above. */
export function serializeEnvelope(parts: EnvelopeParts): Buffer {
  const keyId = Buffer.from(parts.keyId, 'utf8');
  return Buffer.concat([
    MAGIC,
    Buffer.of(VERSION, keyId.length),
    keyId,
    parts.wrapIv,
    parts.wrapTag,
    parts.wrappedKey,
    parts.dataIv,
    parts.dataTag,
    parts.ciphertext,
  ]);
}

/**
 * Splits an envelope into its parts (views onto `blob`, not copies). Checks structure
 * only; the AES-GCM tags are checked when the parts are decrypted.
 * @throws IntegrityError `FALAJ_CRYPTO_TAMPERED` on bad magic, an unknown version, a
 *   malformed key id or a truncated blob.
 */
export function parseEnvelope(blob: Uint8Array): EnvelopeParts {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw tampered('it does not start with the "FLJE" magic bytes');
  }
  let offset = MAGIC.length;
  const take = (length: number): Buffer => {
    if (offset + length > buf.length) throw tampered('it is truncated');
    const part = buf.subarray(offset, offset + length);
    offset += length;
    return part;
  };
  const [version, keyIdLength] = take(2);
  if (version !== VERSION) throw tampered(`its format version ${version} is not supported`);
  const keyId = take(keyIdLength ?? 0).toString('utf8');
  if (!isValidKeyId(keyId)) throw tampered('its key id is malformed');
  return {
    keyId,
    wrapIv: take(IV_BYTES),
    wrapTag: take(TAG_BYTES),
    wrappedKey: take(DATA_KEY_BYTES),
    dataIv: take(IV_BYTES),
    dataTag: take(TAG_BYTES),
    ciphertext: buf.subarray(offset),
  };
}

/** The integrity error for anything wrong with an envelope. */
export function tampered(reason: string): IntegrityError {
  return new IntegrityError(
    'FALAJ_CRYPTO_TAMPERED',
    `Encrypted data cannot be decrypted: ${reason}. It was altered or truncated, is not a Falaj envelope, ` +
      'or (for a failed check) was encrypted with different additional data or a different key of the same id.',
  );
}
