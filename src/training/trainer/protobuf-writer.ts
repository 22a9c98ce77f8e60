/**
 * Just enough of the protocol buffers wire format
 * (https://protobuf.dev/programming-guides/encoding/) to write an ONNX model without a
 * protobuf library: varints, length-delimited fields and nested messages. The reading
 * side is `src/registry/onnx/protobuf-reader.ts`.
 *
 * @example
 * const opset = new ProtoWriter().string(1, '').varint(2, 13).finish();
 * const model = new ProtoWriter().varint(1, 8).bytes(8, opset).finish();
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  /** A varint field (wire type 0): int32, int64, enums. Negative numbers take ten bytes, as protobuf's int64 does. */
  varint(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.push(encodeVarint(value));
    return this;
  }

  /** A length-delimited field (wire type 2) of raw bytes. */
  bytes(field: number, payload: Uint8Array): this {
    this.key(field, 2);
    this.push(encodeVarint(payload.length));
    this.push(payload);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, utf8.encode(text));
  }

  /** A nested message, written by `build` into its own writer. */
  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated varint field (proto3's default encoding for repeated scalars). */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const encoded = values.map((v) => encodeVarint(v));
    const payload = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0));
    let offset = 0;
    for (const e of encoded) {
      payload.set(e, offset);
      offset += e.length;
    }
    return this.bytes(field, payload);
  }

  /** The bytes written so far, as one array. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private key(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 536_870_911) throw new RangeError(`protobuf field number ${field} is out of range`);
    this.push(encodeVarint((BigInt(field) << 3n) | BigInt(wire)));
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }
}

const utf8 = new TextEncoder();

/** Base-128 varint of an unsigned or (two's complement, 64-bit) signed integer. */
export function encodeVarint(value: number | bigint): Uint8Array {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`${value} is not an integer protobuf can carry exactly`);
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Uint8Array.from(out);
}
