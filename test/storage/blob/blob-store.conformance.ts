import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../../src/storage/blob/index.js';

/**
 * The behaviour every BlobStore shares, run once per engine by `blob-store.test.ts` (the
 * Hono `common.case.test.ts` pattern).
 *
 * `factory` opens a fresh, empty store for one test (a new folder, a new key prefix).
 * Stores are closed here. `skips` names tests an engine cannot pass, each with its reason
 * in the caller.
 */
export function describeBlobStoreConformance(name: string, factory: () => Promise<BlobStore>, skips: readonly string[] = []): void {
  describe(`blob store conformance: ${name}`, () => {
    const opened: BlobStore[] = [];
    async function open(): Promise<BlobStore> {
      const store = await factory();
      opened.push(store);
      return store;
    }
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });
    const test = (title: string, body: () => Promise<void>, timeout?: number) => it.skipIf(skips.includes(title))(title, body, timeout);

    test('round-trips buffers, the empty one included', async () => {
      const store = await open();
      const bytes = randomBytes(10_000);
      expect(await store.put('models/m1/weights.bin', bytes)).toEqual({ key: 'models/m1/weights.bin', bytes: 10_000 });
      expect(await readAll(await store.get('models/m1/weights.bin'))).toEqual(bytes);
      expect(await store.put('empty', Buffer.alloc(0))).toEqual({ key: 'empty', bytes: 0 });
      expect(await readAll(await store.get('empty'))).toEqual(Buffer.alloc(0));
      expect(await store.put('unicode/جدول.txt', Buffer.from('مرحبا'))).toEqual({ key: 'unicode/جدول.txt', bytes: 10 });
      expect((await readAll(await store.get('unicode/جدول.txt'))).toString()).toBe('مرحبا');
    });

    test('round-trips a 20 MB stream without changing a byte', async () => {
      const store = await open();
      const sent = createHash('sha256');
      const size = 20 * 1024 * 1024;
      async function* chunks() {
        // Odd-sized chunks, so part boundaries never line up with them.
        for (let left = size; left > 0; ) {
          const chunk = randomBytes(Math.min(left, 100_003));
          sent.update(chunk);
          left -= chunk.length;
          yield chunk;
        }
      }
      expect(await store.put('big/model.onnx', Readable.from(chunks()))).toEqual({ key: 'big/model.onnx', bytes: size });
      const received = createHash('sha256');
      let receivedBytes = 0;
      for await (const chunk of await store.get('big/model.onnx')) {
        received.update(chunk as Buffer);
        receivedBytes += (chunk as Buffer).length;
      }
      expect(receivedBytes).toBe(size);
      expect(received.digest('hex')).toBe(sent.digest('hex'));
      expect(await store.head('big/model.onnx')).toEqual({ key: 'big/model.onnx', bytes: size });
    }, 60_000);

    test('heads an object, and answers undefined for a missing one', async () => {
      const store = await open();
      await store.put('a/b.json', Buffer.from('{"x":1}'));
      expect(await store.head('a/b.json')).toEqual({ key: 'a/b.json', bytes: 7 });
      expect(await store.head('a/c.json')).toBeUndefined();
      expect(await store.head('a')).toBeUndefined(); // a folder of keys is no object
      expect(await store.head('nowhere/at/all')).toBeUndefined();
    });

    test('lists by prefix, recursively, in byte order of the keys', async () => {
      const store = await open();
      const keys = ['runs/b/x', 'runs/a-c', 'runs/a/b/deep', 'runs/ab', 'runs/Z', 'runsx', 'other/z', 'runs/é'];
      for (const [i, key] of keys.entries()) await store.put(key, Buffer.alloc(i + 1));
      const sizeOf = (key: string) => keys.indexOf(key) + 1;
      const listed = (prefix: string) => store.list(prefix).then((infos) => infos.map((info) => info.key));

      // '-' (0x2d) < '/' (0x2f) < 'Z' < 'a' < 'é' (0xc3 0xa9): S3's order, not a folder walk's
      expect(await listed('runs/')).toEqual(['runs/Z', 'runs/a-c', 'runs/a/b/deep', 'runs/ab', 'runs/b/x', 'runs/é']);
      expect(await listed('runs/a')).toEqual(['runs/a-c', 'runs/a/b/deep', 'runs/ab']);
      expect(await listed('runs')).toEqual(['runs/Z', 'runs/a-c', 'runs/a/b/deep', 'runs/ab', 'runs/b/x', 'runs/é', 'runsx']);
      expect(await listed('runs/a/b/deep')).toEqual(['runs/a/b/deep']);
      expect(await listed('')).toEqual(['other/z', ...(await listed('runs'))]);
      expect(await listed('nothing/')).toEqual([]);
      expect(await store.list('runs/a/')).toEqual([{ key: 'runs/a/b/deep', bytes: sizeOf('runs/a/b/deep') }]);
    });

    test('lists more objects than fit in one S3 page (1,100)', async () => {
      const store = await open();
      const keys = Array.from({ length: 1100 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
      // in shuffled order, so the listing's order is the store's doing
      const shuffled = [...keys].sort(() => Math.random() - 0.5);
      for (let i = 0; i < shuffled.length; i += 50) {
        await Promise.all(shuffled.slice(i, i + 50).map((key) => store.put(key, Buffer.from(key))));
      }
      await store.put('manyx', Buffer.from('outside'));
      const listed = await store.list('many/');
      expect(listed.map((info) => info.key)).toEqual(keys);
      expect(listed.every((info) => info.bytes === 9)).toBe(true);
    }, 60_000);

    test('overwrites an object, from a buffer or a stream', async () => {
      const store = await open();
      await store.put('k', Buffer.from('the first, longer version'));
      await store.put('k', Buffer.from('v2'));
      expect((await readAll(await store.get('k'))).toString()).toBe('v2');
      expect(await store.head('k')).toEqual({ key: 'k', bytes: 2 });
      await store.put('k', Readable.from([Buffer.from('version '), Buffer.from('three')]));
      expect((await readAll(await store.get('k'))).toString()).toBe('version three');
      expect(await store.list('')).toEqual([{ key: 'k', bytes: 13 }]);
    });

    test('deletes objects; deleting a missing one is not an error', async () => {
      const store = await open();
      await store.put('a/b/c', Buffer.from('x'));
      await store.put('a/d', Buffer.from('y'));
      await store.delete('a/b/c');
      expect(await store.head('a/b/c')).toBeUndefined();
      await expect(store.get('a/b/c')).rejects.toMatchObject({ code: 'FALAJ_BLOB_NOT_FOUND' });
      expect(await store.list('')).toEqual([{ key: 'a/d', bytes: 1 }]);
      await store.delete('a/b/c');
      await store.delete('never/was');
      // with a/b/c gone, a/b is free to be an object
      await store.put('a/b', Buffer.from('z'));
      expect(await store.list('a/')).toEqual([
        { key: 'a/b', bytes: 1 },
        { key: 'a/d', bytes: 1 },
      ]);
    });

    test('a missing key is FALAJ_BLOB_NOT_FOUND', async () => {
      const store = await open();
      await store.put('here', Buffer.from('x'));
      const error = await store.get('not/here').catch((err: unknown) => err);
      expect(error).toMatchObject({ name: 'NotFoundError', code: 'FALAJ_BLOB_NOT_FOUND' });
      expect((error as Error).message).toContain('not/here');
    });

    test('rejects invalid keys before touching storage', async () => {
      const store = await open();
      const invalid = ['', '/abs', 'a//b', 'a/', '..', '../x', 'a/../b', 'a/./b', 'a\\b', 'a\u0000b', 'x'.repeat(1025), '.falaj-partial-x'];
      for (const key of invalid) {
        for (const call of [() => store.put(key, Buffer.from('x')), () => store.get(key), () => store.head(key), () => store.delete(key)]) {
          await expect(call(), JSON.stringify(key)).rejects.toMatchObject({ name: 'InputError', code: 'FALAJ_BLOB_KEY_INVALID' });
        }
      }
      await expect(store.put('a/b', Readable.from(['x']))).resolves.toEqual({ key: 'a/b', bytes: 1 });
      for (const prefix of ['/', '../', 'a/../', 'a//']) {
        await expect(store.list(prefix), prefix).rejects.toMatchObject({ code: 'FALAJ_BLOB_KEY_INVALID' });
      }
      // a prefix may stop inside a segment
      expect(await store.list('a/.')).toEqual([]);
      expect(await store.list('')).toEqual([{ key: 'a/b', bytes: 1 }]);
    });

    test('a failing input stream fails the put and leaves no object', async () => {
      const store = await open();
      await store.put('kept', Buffer.from('old'));
      async function* failing() {
        yield randomBytes(64 * 1024);
        throw new Error('upstream went away');
      }
      await expect(store.put('kept', Readable.from(failing()))).rejects.toThrow('upstream went away');
      await expect(store.put('fresh', Readable.from(failing()))).rejects.toThrow('upstream went away');
      expect((await readAll(await store.get('kept'))).toString()).toBe('old');
      expect(await store.list('')).toEqual([{ key: 'kept', bytes: 3 }]);
    });

    test('pings while the storage is up', async () => {
      const store = await open();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
