import { InputError } from '../../core/errors/index.js';

/**
 * Just enough of the protocol buffers wire format
 * (https://protobuf.dev/programming-guides/encoding/) to walk an ONNX file without a
 * protobuf library: tags, varints, length-delimited fields and skipping. Two readers
 * share the rules: {@link MessageReader} over bytes already in memory (small messages),
 * and {@link StreamReader} over a stream, so that a model's weights (initializers, often
 * hundreds of megabytes) are skipped as they stream by instead of being held.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export interface Tag {
  field: number;
  wire: number;
}

export function invalid(message: string): InputError {
  return new InputError('FALAJ_ONNX_INVALID', `not a valid ONNX model: ${message}`);
}

function toTag(key: bigint): Tag {
  const wire = Number(key & 7n);
  const field = Number(key >> 3n);
  if (field === 0) throw invalid('field number 0');
  // 3 and 4 are the long-deprecated groups, 6 and 7 do not exist: ONNX never uses them
  if (wire !== WIRE_VARINT && wire !== WIRE_FIXED64 && wire !== WIRE_LEN && wire !== WIRE_FIXED32) throw invalid(`field ${field} has unsupported wire type ${wire}`);
  return { field, wire };
}

/** int64 as protobuf writes it: negatives are ten-byte two's complement varints. */
export function toInt64(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

/** A message whose bytes are in memory. */
export class MessageReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  tag(): Tag {
    return toTag(this.varint());
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw invalid('truncated varint');
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw invalid('varint longer than 10 bytes');
  }

  /** The payload of a length-delimited field (a view, not a copy). */
  bytes(): Uint8Array {
    const length = this.varint();
    if (length > BigInt(this.end - this.pos)) throw invalid(`a field claims ${length} bytes but only ${this.end - this.pos} remain`);
    const start = this.pos;
    this.pos += Number(length);
    return this.buf.subarray(start, this.pos);
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_LEN) this.bytes();
    else this.advance(wire === WIRE_FIXED64 ? 8 : 4);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw invalid('truncated fixed-width field');
    this.pos += n;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * A message read from a stream of chunks, front to back. `limit` bounds how many bytes
 * the current (possibly nested) message may still take; reading past it is an error.
 */
export class StreamReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private consumed = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Bytes read (or skipped) so far. */
  get position(): number {
    return this.consumed;
  }

  /** True at the end of the stream (pulls the next chunk if needed). */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  async tag(): Promise<Tag> {
    return toTag(await this.varint());
  }

  async varint(): Promise<bigint> {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (!(await this.fill())) throw invalid('truncated varint (the file ends early)');
      const byte = this.chunk[this.offset++]!;
      this.consumed++;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw invalid('varint longer than 10 bytes');
  }

  /** Reads the length prefix of a length-delimited field. */
  async length(): Promise<number> {
    const length = await this.varint();
    if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`a field claims ${length} bytes`);
    return Number(length);
  }

  /** Reads exactly `n` bytes into memory; refuses more than `max` (a small message is expected). */
  async take(n: number, max: number): Promise<Uint8Array> {
    if (n > max) throw invalid(`a ${n}-byte field where at most ${max} bytes were expected`);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (!(await this.fill())) throw invalid('the file ends inside a field');
      const count = Math.min(n - filled, this.chunk.length - this.offset);
      out.set(this.chunk.subarray(this.offset, this.offset + count), filled);
      this.offset += count;
      this.consumed += count;
      filled += count;
    }
    return out;
  }

  /** Skips `n` bytes without keeping them. */
  async skipBytes(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw invalid('the file ends inside a field');
      const count = Math.min(left, this.chunk.length - this.offset);
      this.offset += count;
      this.consumed += count;
      left -= count;
    }
  }

  async skip(wire: number): Promise<void> {
    if (wire === WIRE_VARINT) await this.varint();
    else if (wire === WIRE_LEN) await this.skipBytes(await this.length());
    else await this.skipBytes(wire === WIRE_FIXED64 ? 8 : 4);
  }

  /** Makes sure at least one byte is buffered; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    while (this.offset >= this.chunk.length) {
      if (this.ended) return false;
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.chunk = next.value;
      this.offset = 0;
    }
    return true;
  }
}
