import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/core/crypto/index.js';
import { IntegrityError, NotFoundError } from '../../../src/core/errors/index.js';
import { decryptStream, encryptStream } from '../../../src/tracking/artifacts/index.js';

const keyring = Keyring.generate();
const SEGMENT = 64;
const TAG = 16;

/** Feeds `data` in chunks of `chunkSize` through `transform` and collects the output. */
async function run(transform: NodeJS.ReadWriteStream, data: Buffer, chunkSize = 7): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    transform,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}

const encrypt = (plain: Buffer, artifactId = 'artifact-a', segmentSize = SEGMENT) =>
  run(encryptStream(keyring, { artifactId, segmentSize }), plain);
const decrypt = (blob: Buffer, ring = keyring, artifactId?: string) =>
  run(decryptStream(ring, artifactId === undefined ? {} : { artifactId }), blob, 13);

/** Splits a ciphertext into its header and sealed segments (each SEGMENT + TAG bytes, the last shorter). */
function split(blob: Buffer, plainLength: number): { header: Buffer; segments: Buffer[] } {
  const count = Math.max(1, Math.ceil(plainLength / SEGMENT));
  const bodyLength = plainLength + count * TAG;
  const header = blob.subarray(0, blob.length - bodyLength);
  const segments: Buffer[] = [];
  for (let at = header.length; at < blob.length; at += SEGMENT + TAG) segments.push(blob.subarray(at, at + SEGMENT + TAG));
  return { header, segments };
}

async function expectTampered(promise: Promise<unknown>, message?: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrityError);
  expect((error as IntegrityError).code).toBe('FALAJ_ARTIFACT_TAMPERED');
  if (message) expect((error as Error).message).toMatch(message);
}

describe('chunked envelope', () => {
  it.each([0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 5 * SEGMENT + 17])('round-trips %i bytes', async (length) => {
    const plain = randomBytes(length);
    const blob = await encrypt(plain);
    expect(await decrypt(blob)).toEqual(plain);
    // header, then every segment carries a tag; an exact multiple has no empty tail segment
    const { segments } = split(blob, length);
    expect(segments).toHaveLength(Math.max(1, Math.ceil(length / SEGMENT)));
  });

  it('round-trips with the default 1 MiB segments, fed in odd chunk sizes', async () => {
    const plain = randomBytes(2.5 * 1024 * 1024);
    const blob = await run(encryptStream(keyring), plain, 300_001);
    expect(blob.length).toBeGreaterThan(plain.length);
    expect((await run(decryptStream(keyring), blob, 65_537)).equals(plain)).toBe(true); // toEqual is slow on megabytes
  });

  it('uses a fresh data key and nonce prefix per artifact: the same plaintext encrypts differently', async () => {
    const plain = randomBytes(3 * SEGMENT);
    const a = await encrypt(plain);
    const b = await encrypt(plain);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(plain.subarray(0, 32))).toBe(false);
  });

  it('decrypts after a key rotation with the old master key, and names a missing key', async () => {
    const ring = Keyring.generate();
    const plain = randomBytes(100);
    const blob = await run(encryptStream(ring, { segmentSize: SEGMENT }), plain);
    ring.rotate();
    expect(await decrypt(blob, ring)).toEqual(plain);
    await expect(decrypt(blob, Keyring.generate())).rejects.toBeInstanceOf(NotFoundError);
  });

  describe('detects tampering', () => {
    const plain = randomBytes(4 * SEGMENT + 10); // five segments, the last short
    const sealed = () => encrypt(plain);

    it('a flipped bit in any segment’s ciphertext or tag', async () => {
      const blob = await sealed();
      const { header, segments } = split(blob, plain.length);
      for (let s = 0; s < segments.length; s++) {
        for (const offset of [0, segments[s]!.length - 1]) {
          const copy = Buffer.from(blob);
          copy[header.length + s * (SEGMENT + TAG) + offset]! ^= 0x01;
          await expectTampered(decrypt(copy));
        }
      }
    });

    it('a flipped bit anywhere in the header (artifact id, nonce prefix, wrapped key, segment size)', async () => {
      const blob = await sealed();
      const { header } = split(blob, plain.length);
      for (let i = 0; i < header.length; i++) {
        const copy = Buffer.from(blob);
        copy[i]! ^= 0x01;
        const error = await decrypt(copy).then(
          () => undefined,
          (e: unknown) => e,
        );
        // a flipped key id names an unknown master key; everything else is tampering
        if (error instanceof NotFoundError) expect(error.code).toBe('FALAJ_CRYPTO_KEY_UNKNOWN');
        else expect((error as IntegrityError).code).toBe('FALAJ_ARTIFACT_TAMPERED');
      }
    });

    it('truncation at a segment boundary (the final segment dropped)', async () => {
      const blob = await sealed();
      const { header, segments } = split(blob, plain.length);
      for (let keep = 1; keep < segments.length; keep++) {
        await expectTampered(decrypt(Buffer.concat([header, ...segments.slice(0, keep)])), /truncated/);
      }
    });

    it('truncation inside a segment, inside the header, or to nothing', async () => {
      const blob = await sealed();
      const { header } = split(blob, plain.length);
      await expectTampered(decrypt(blob.subarray(0, blob.length - 1)));
      await expectTampered(decrypt(blob.subarray(0, header.length + 5)), /before its last segment/);
      await expectTampered(decrypt(blob.subarray(0, header.length)), /before its last segment/);
      await expectTampered(decrypt(blob.subarray(0, header.length - 3)), /inside its header/);
      await expectTampered(decrypt(Buffer.alloc(0)), /inside its header/);
    });

    it('an empty artifact whose only (final, empty) segment is dropped', async () => {
      const blob = await encrypt(Buffer.alloc(0));
      await expectTampered(decrypt(blob.subarray(0, blob.length - TAG)));
    });

    it('reordered, duplicated or dropped middle segments', async () => {
      const blob = await sealed();
      const { header, segments } = split(blob, plain.length);
      const [s0, s1, s2, s3, s4] = segments as [Buffer, Buffer, Buffer, Buffer, Buffer];
      await expectTampered(decrypt(Buffer.concat([header, s1, s0, s2, s3, s4])), /segment 0/);
      await expectTampered(decrypt(Buffer.concat([header, s0, s2, s1, s3, s4])), /segment 1/);
      await expectTampered(decrypt(Buffer.concat([header, s0, s0, s1, s2, s3, s4])), /segment 1/);
      await expectTampered(decrypt(Buffer.concat([header, s0, s2, s3, s4])), /segment 1/);
    });

    it('data appended after the final segment', async () => {
      const blob = await sealed();
      await expectTampered(decrypt(Buffer.concat([blob, randomBytes(SEGMENT + TAG)])));
      await expectTampered(decrypt(Buffer.concat([blob, randomBytes(3)])));
    });

    it('a final segment that is full size, made to look like a middle one by appending a copy', async () => {
      const exact = randomBytes(2 * SEGMENT);
      const blob = await encrypt(exact);
      const { segments } = split(blob, exact.length);
      await expectTampered(decrypt(Buffer.concat([blob, segments[1]!])), /segment 1/);
    });

    it('segments spliced in from another artifact, even under the same keyring', async () => {
      const a = await encrypt(plain, 'artifact-a');
      const b = await encrypt(plain, 'artifact-b');
      const sa = split(a, plain.length);
      const sb = split(b, plain.length);
      const spliced = Buffer.concat([sa.header, sa.segments[0]!, sb.segments[1]!, ...sa.segments.slice(2)]);
      await expectTampered(decrypt(spliced), /segment 1/);
      // b's header with a's body: a different data key and artifact id
      await expectTampered(decrypt(Buffer.concat([sb.header, ...sa.segments])));
    });

    it('a whole ciphertext presented as another artifact', async () => {
      const blob = await encrypt(plain, 'artifact-a');
      expect(await decrypt(blob, keyring, 'artifact-a')).toEqual(plain);
      await expectTampered(decrypt(blob, keyring, 'artifact-b'), /belongs to artifact "artifact-a"/);
    });

    it('bytes that are not a chunked envelope at all', async () => {
      await expectTampered(decrypt(Buffer.from('plain text, not encrypted at all')), /magic/);
    });

    it('releases no plaintext of a segment that fails its check', async () => {
      const blob = await sealed();
      const { header } = split(blob, plain.length);
      const copy = Buffer.from(blob);
      copy[header.length + 2 * (SEGMENT + TAG) + 3]! ^= 0x80; // third segment
      const received: Buffer[] = [];
      const stream = Readable.from([copy.subarray(0, 200), copy.subarray(200)]).pipe(decryptStream(keyring));
      await expect(
        (async () => {
          for await (const chunk of stream) received.push(chunk as Buffer);
        })(),
      ).rejects.toBeInstanceOf(IntegrityError);
      // what arrived (if anything: an error may discard buffered output) is a prefix of the two good segments
      const got = Buffer.concat(received);
      expect(got.length).toBeLessThanOrEqual(2 * SEGMENT);
      expect(got).toEqual(plain.subarray(0, got.length));
    });
  });
});
