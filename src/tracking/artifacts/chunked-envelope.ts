import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { InputError } from '../../core/errors/index.js';
import type { Keyring } from '../../core/crypto/index.js';
import {
  DATA_KEY_BYTES,
  DEFAULT_SEGMENT_BYTES,
  IV_BYTES,
  MAX_SEGMENTS,
  MAX_SEGMENT_BYTES,
  NONCE_PREFIX_BYTES,
  TAG_BYTES,
  parseHeader,
  segmentAad,
  segmentNonce,
  serializeHeader,
  tamperedArtifact,
  wrapAad,
  type StreamHeader,
} from './chunked-envelope-format.js';

export interface EncryptStreamOptions {
  /** what the ciphertext belongs to, bound into every segment; a random UUID by default */
  artifactId?: string;
  /** plaintext bytes per segment; 1 MiB by default (tests use small ones) */
  segmentSize?: number;
}

export interface DecryptStreamOptions {
  /** when given, a ciphertext written for another artifact id is refused */
  artifactId?: string;
}

/**
 * Encrypts a stream in segments (layout and construction in `chunked-envelope-format.ts`):
 * a fresh random data key per stream, wrapped by the keyring's active master key; each
 * segment AES-256-GCM with a counter nonce and AAD binding the header (artifact id),
 * segment index and final flag. Memory stays around one segment, whatever the length.
 *
 * @example
 * await pipeline(createReadStream('model.onnx'), encryptStream(keyring, { artifactId: 'run-1/model.onnx' }), createWriteStream('model.enc'));
 */
export function encryptStream(keyring: Keyring, options: EncryptStreamOptions = {}): Transform {
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isInteger(segmentSize) || segmentSize < 1 || segmentSize > MAX_SEGMENT_BYTES) {
    throw new InputError('FALAJ_VALIDATION_FAILED', `segment size must be an integer from 1 to ${MAX_SEGMENT_BYTES}, got ${segmentSize}`);
  }
  const artifactId = options.artifactId ?? randomUUID();
  const artifactIdBytes = Buffer.byteLength(artifactId, 'utf8');
  if (artifactIdBytes < 1 || artifactIdBytes > 255) {
    throw new InputError('FALAJ_VALIDATION_FAILED', `artifact id must be 1 to 255 bytes of UTF-8, got ${artifactIdBytes}`);
  }

  const master = keyring.activeKey;
  const dataKey = randomBytes(DATA_KEY_BYTES);
  const wrapIv = randomBytes(IV_BYTES);
  const wrapper = createCipheriv('aes-256-gcm', master.key, wrapIv, { authTagLength: TAG_BYTES });
  wrapper.setAAD(wrapAad(master.id, artifactId));
  const wrappedKey = Buffer.concat([wrapper.update(dataKey), wrapper.final()]);
  const header = serializeHeader({
    segmentSize,
    keyId: master.id,
    artifactId,
    wrapIv,
    wrapTag: wrapper.getAuthTag(),
    wrappedKey,
    noncePrefix: randomBytes(NONCE_PREFIX_BYTES),
  });
  const noncePrefix = header.subarray(header.length - NONCE_PREFIX_BYTES);

  const pending = new ByteQueue();
  let index = 0;
  const seal = (plaintext: Buffer, final: boolean): Buffer => {
    if (index >= MAX_SEGMENTS) throw new InputError('FALAJ_PAYLOAD_TOO_LARGE', 'stream is too long for one chunked envelope');
    const cipher = createCipheriv('aes-256-gcm', dataKey, segmentNonce(noncePrefix, index, final), { authTagLength: TAG_BYTES });
    cipher.setAAD(segmentAad(header, index, final));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    index++;
    return sealed;
  };

  let headerSent = false;
  const sendHeader = (stream: Transform): void => {
    if (headerSent) return;
    stream.push(header);
    headerSent = true;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        sendHeader(this);
        pending.push(chunk);
        // More than a segment buffered: the oldest segment is certainly not the last.
        while (pending.length > segmentSize) this.push(seal(pending.take(segmentSize), false));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        sendHeader(this);
        this.push(seal(pending.take(pending.length), true));
        callback();
      } catch (err) {
        callback(err as Error);
      } finally {
        dataKey.fill(0);
      }
    },
    destroy(err, callback) {
      dataKey.fill(0);
      callback(err);
    },
  });
}

/**
 * Decrypts what {@link encryptStream} wrote, with whichever keyring key wrapped it. A
 * segment's plaintext is released only after its tag has been checked; the stream errors
 * with IntegrityError `FALAJ_ARTIFACT_TAMPERED` on any alteration, truncation, reordering
 * or splice, at the segment where it is found (at the end for a truncation).
 *
 * @throws (as a stream error) NotFoundError `FALAJ_CRYPTO_KEY_UNKNOWN` when the keyring lacks the master key.
 */
export function decryptStream(keyring: Keyring, options: DecryptStreamOptions = {}): Transform {
  const pending = new ByteQueue();
  let header: StreamHeader | undefined;
  let dataKey: Buffer | undefined;
  let index = 0;

  const readHeader = (): boolean => {
    if (header) return true;
    const parsed = parseHeader(pending.peek(Math.min(pending.length, 512)));
    if (!parsed) return false;
    if (options.artifactId !== undefined && parsed.artifactId !== options.artifactId) {
      throw tamperedArtifact(`it belongs to artifact ${JSON.stringify(parsed.artifactId)}, not ${JSON.stringify(options.artifactId)}`);
    }
    const master = keyring.key(parsed.keyId);
    try {
      const unwrapper = createDecipheriv('aes-256-gcm', master.key, parsed.wrapIv, { authTagLength: TAG_BYTES });
      unwrapper.setAuthTag(parsed.wrapTag);
      unwrapper.setAAD(wrapAad(parsed.keyId, parsed.artifactId));
      dataKey = Buffer.concat([unwrapper.update(parsed.wrappedKey), unwrapper.final()]);
    } catch {
      throw tamperedArtifact('its data key does not unwrap (the header was altered)');
    }
    pending.take(parsed.bytes.length);
    header = parsed;
    return true;
  };

  const open = (sealed: Buffer, final: boolean): Buffer => {
    const h = header!;
    if (index >= MAX_SEGMENTS) throw tamperedArtifact('it has more segments than a chunked envelope can hold');
    const tagAt = sealed.length - TAG_BYTES;
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey!, segmentNonce(h.noncePrefix, index, final), { authTagLength: TAG_BYTES });
      decipher.setAAD(segmentAad(h.bytes, index, final));
      decipher.setAuthTag(sealed.subarray(tagAt));
      // Nothing is returned before final() has checked the tag.
      const plaintext = Buffer.concat([decipher.update(sealed.subarray(0, tagAt)), decipher.final()]);
      index++;
      return plaintext;
    } catch {
      throw tamperedArtifact(
        final
          ? `its last segment (${index}) fails authentication: it was altered, or the artifact was truncated`
          : `segment ${index} fails authentication: it was altered, moved or taken from another artifact`,
      );
    }
  };

  const wipe = (): void => {
    dataKey?.fill(0);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        pending.push(chunk);
        if (!readHeader()) return callback();
        const sealedSize = header!.segmentSize + TAG_BYTES;
        // More than a sealed segment buffered: the oldest is certainly not the last.
        while (pending.length > sealedSize) this.push(open(pending.take(sealedSize), false));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!readHeader()) throw tamperedArtifact('it ends inside its header');
        if (pending.length < TAG_BYTES) throw tamperedArtifact('it ends before its last segment');
        this.push(open(pending.take(pending.length), true));
        callback();
      } catch (err) {
        callback(err as Error);
      } finally {
        wipe();
      }
    },
    destroy(err, callback) {
      wipe();
      callback(err);
    },
  });
}

/** Bytes received but not yet used, kept as the chunks that arrived (no copy until taken). */
class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The first `n` bytes, without consuming them. */
  peek(n: number): Buffer {
    return this.#copy(n, false);
  }

  /** Removes and returns the first `n` bytes. */
  take(n: number): Buffer {
    return this.#copy(n, true);
  }

  #copy(n: number, consume: boolean): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (consume) this.#drop(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    for (const chunk of this.#chunks) {
      if (filled === n) break;
      const count = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, count);
      filled += count;
    }
    if (consume) this.#drop(n);
    return out;
  }

  #drop(n: number): void {
    let left = n;
    this.#length -= n;
    while (left > 0) {
      const head = this.#chunks[0]!;
      if (head.length <= left) {
        this.#chunks.shift();
        left -= head.length;
      } else {
        this.#chunks[0] = head.subarray(left);
        left = 0;
      }
    }
  }
}
