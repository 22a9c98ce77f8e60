import { IntegrityError } from '../../core/errors/index.js';
import { isValidKeyId } from '../../core/crypto/index.js';

/**
 * The header of a chunked (streaming) envelope, followed by the segments. All integers
 * are big-endian; lengths in bytes.
 *
 * | field          | length | notes                                                 |
 * |----------------|--------|-------------------------------------------------------|
 * | magic          | 4      | "FLJS" (Falaj stream; the one-shot envelope is "FLJE") |
 * | version        | 1      | 1                                                     |
 * | segmentSize    | 4      | plaintext bytes per segment (the last may be shorter) |
 * | keyIdLength    | 1      | n                                                     |
 * | keyId          | n      | id of the master key that wrapped the data key        |
 * | artifactIdLen  | 1      | m (1..255)                                            |
 * | artifactId     | m      | UTF-8; bound into every segment and the wrapped key   |
 * | wrapIv         | 12     | AES-256-GCM IV for wrapping the data key              |
 * | wrapTag        | 16     | its tag (AAD = "falaj-stream-key:v1:" keyId ":" artifactId) |
 * | wrappedKey     | 32     | the per-artifact data key under the master key        |
 * | noncePrefix    | 7      | random                                                |
 *
 * Then the segments, each `ciphertext ‖ tag(16)`: every segment but the last holds exactly
 * `segmentSize` plaintext bytes; the last holds 0..segmentSize (0 only for an empty
 * artifact), so a reader finds the boundaries without any length field. Segment `i` is
 * AES-256-GCM under the data key with
 * - nonce = noncePrefix(7) ‖ uint32(i) ‖ finalFlag(1), and
 * - AAD = the header bytes (artifact id included) ‖ uint32(i) ‖ finalFlag(1),
 * the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015; Tink's streaming
 * AEAD uses the same nonce layout): a dropped, reordered, duplicated or foreign segment,
 * a truncation at a segment boundary (no segment carries the final flag) and data after
 * the final segment all fail authentication.
 */
export interface StreamHeader {
  segmentSize: number;
  keyId: string;
  artifactId: string;
  wrapIv: Buffer;
  wrapTag: Buffer;
  wrappedKey: Buffer;
  noncePrefix: Buffer;
  /** the serialized header, as authenticated by every segment */
  bytes: Buffer;
}

export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;
export const NONCE_PREFIX_BYTES = 7;
/** 1 MiB: memory per stream stays around two segments. */
export const DEFAULT_SEGMENT_BYTES = 1024 * 1024;
/** A larger segment size in a header is refused before anything is buffered for it. */
export const MAX_SEGMENT_BYTES = 16 * 1024 * 1024;
/** The counter is 32 bits: 2^32 segments of 1 MiB is 4 PiB per artifact. */
export const MAX_SEGMENTS = 2 ** 32;

const MAGIC = Buffer.from('FLJS', 'ascii');
const VERSION = 1;
const FIXED_PREFIX = MAGIC.length + 1 + 4 + 1; // magic, version, segmentSize, keyIdLength

export function serializeHeader(fields: Omit<StreamHeader, 'bytes'>): Buffer {
  const keyId = Buffer.from(fields.keyId, 'utf8');
  const artifactId = Buffer.from(fields.artifactId, 'utf8');
  const fixed = Buffer.alloc(FIXED_PREFIX);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt8(VERSION, 4);
  fixed.writeUInt32BE(fields.segmentSize, 5);
  fixed.writeUInt8(keyId.length, 9);
  return Buffer.concat([
    fixed,
    keyId,
    Buffer.of(artifactId.length),
    artifactId,
    fields.wrapIv,
    fields.wrapTag,
    fields.wrappedKey,
    fields.noncePrefix,
  ]);
}

/**
 * Parses the header at the start of `buf`, or returns undefined when `buf` is too short
 * to hold all of it yet (the caller waits for more bytes).
 * @throws IntegrityError `FALAJ_ARTIFACT_TAMPERED` when it is not a valid header.
 */
export function parseHeader(buf: Buffer): StreamHeader | undefined {
  if (buf.length < FIXED_PREFIX) {
    if (!MAGIC.subarray(0, buf.length).equals(buf.subarray(0, MAGIC.length))) throw notStream();
    return undefined;
  }
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw notStream();
  const version = buf.readUInt8(4);
  if (version !== VERSION) throw tamperedArtifact(`its format version ${version} is not supported`);
  const segmentSize = buf.readUInt32BE(5);
  if (segmentSize < 1 || segmentSize > MAX_SEGMENT_BYTES) throw tamperedArtifact(`its segment size ${segmentSize} is out of range`);
  const keyIdLength = buf.readUInt8(9);
  let offset = FIXED_PREFIX;
  if (buf.length < offset + keyIdLength + 1) return undefined;
  const keyId = buf.toString('utf8', offset, offset + keyIdLength);
  if (!isValidKeyId(keyId)) throw tamperedArtifact('its key id is malformed');
  offset += keyIdLength;
  const artifactIdLength = buf.readUInt8(offset);
  offset += 1;
  if (artifactIdLength === 0) throw tamperedArtifact('its artifact id is empty');
  const end = offset + artifactIdLength + IV_BYTES + TAG_BYTES + DATA_KEY_BYTES + NONCE_PREFIX_BYTES;
  if (buf.length < end) return undefined;
  const take = (length: number): Buffer => {
    const part = Buffer.from(buf.subarray(offset, offset + length)); // a copy: `buf` is reused by the reader
    offset += length;
    return part;
  };
  const artifactId = take(artifactIdLength).toString('utf8');
  return {
    segmentSize,
    keyId,
    artifactId,
    wrapIv: take(IV_BYTES),
    wrapTag: take(TAG_BYTES),
    wrappedKey: take(DATA_KEY_BYTES),
    noncePrefix: take(NONCE_PREFIX_BYTES),
    bytes: Buffer.from(buf.subarray(0, end)),
  };
}

/** nonce = prefix ‖ uint32 index ‖ final flag */
export function segmentNonce(prefix: Buffer, index: number, final: boolean): Buffer {
  const nonce = Buffer.alloc(IV_BYTES);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  nonce.writeUInt8(final ? 1 : 0, IV_BYTES - 1);
  return nonce;
}

/** AAD = header ‖ uint32 index ‖ final flag */
export function segmentAad(header: Buffer, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail.writeUInt8(final ? 1 : 0, 4);
  return Buffer.concat([header, tail]);
}

/** AAD for wrapping the data key: ties it to its master key and its artifact. */
export function wrapAad(keyId: string, artifactId: string): Buffer {
  return Buffer.from(`falaj-stream-key:v1:${keyId}:${artifactId}`, 'utf8');
}

/** The one error for anything wrong with an encrypted artifact. */
export function tamperedArtifact(reason: string): IntegrityError {
  return new IntegrityError(
    'FALAJ_ARTIFACT_TAMPERED',
    `Encrypted artifact cannot be decrypted: ${reason}. It was altered, truncated, reordered or mixed with another ` +
      "artifact's data; restore it from a backup or log it again.",
  );
}

function notStream(): IntegrityError {
  return tamperedArtifact('it does not start with the "FLJS" magic bytes of a Falaj chunked envelope');
}
