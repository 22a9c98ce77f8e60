import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StreamBroker, StreamConsumer, StreamMessage } from '../../../src/storage/stream/index.js';

/** The names one test used, handed to the engine's `cleanup` at the end of the file. */
export interface UsedStream {
  stream: string;
  subject: string;
}

/** How an engine runs the shared suite. */
export interface StreamConformanceOptions {
  /** title → why this engine cannot pass that test (the test is listed as skipped with the reason) */
  skips?: Record<string, string>;
  /** the scope publication order holds in (Kafka: the partition); one scope by default */
  orderScope?: (message: StreamMessage) => string;
  /** false where the broker shares by partition, so one consumer of two may get everything */
  sharesEveryFetch?: boolean;
  /** removes the streams, keys or topics the tests created */
  cleanup?: (used: readonly UsedStream[]) => Promise<void>;
}

/** Short enough to keep tests quick; outcomes only are asserted, never durations. */
const ACK_WAIT_MS = 1000;
/** How long a test waits for something it expects before failing. */
const DEADLINE_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;

/**
 * The behaviour every StreamBroker shares, run once per engine (the Hono
 * `common.case.test.ts` pattern). `makeBroker` opens a new connection; calling it twice in
 * one test gives two replicas. Each test uses its own stream, subject and group (random
 * suffix), so files and tests run in parallel safely. Brokers are closed here.
 */
export function streamConformance(
  name: string,
  makeBroker: (options: { ackWaitMs: number }) => Promise<StreamBroker>,
  options: StreamConformanceOptions = {},
): void {
  const orderScope = options.orderScope ?? (() => '');
  describe(`stream broker conformance: ${name}`, () => {
    const opened: StreamBroker[] = [];
    const used: UsedStream[] = [];
    afterEach(async () => {
      for (const broker of opened.splice(0)) await broker.close();
    });
    afterAll(async () => {
      await options.cleanup?.(used);
    });

    async function open(): Promise<StreamBroker> {
      const broker = await makeBroker({ ackWaitMs: ACK_WAIT_MS });
      opened.push(broker);
      return broker;
    }

    function names() {
      const suffix = randomBytes(6).toString('hex');
      const names = { stream: `conf_${suffix}`, subject: `falaj.test.${suffix}`, group: `group_${suffix}` };
      used.push({ stream: names.stream, subject: names.subject });
      return names;
    }

    const test = (title: string, body: () => Promise<void>) => {
      const reason = options.skips?.[title];
      if (reason) it.skip(`${title} (skipped on ${name}: ${reason})`, body);
      else it(title, body, TEST_TIMEOUT_MS);
    };

    test('delivers every message once, in publication order, byte for byte, and lag falls to 0', async () => {
      const broker = await open();
      const n = names();
      const consumer = await broker.consumer({ ...n, consumer: 'c1' });
      const count = 25;
      for (let i = 0; i < count; i++) await broker.publish(n.subject, body(i));
      const lagBefore = await consumer.lag();

      const got = await collect(consumer, count, { ack: true, max: 10 });
      expect(got.map(label).sort()).toEqual(labels(count).sort());
      expect(new Set(got.map((m) => m.id)).size).toBe(count);
      for (const m of got) {
        expect(Buffer.from(m.data)).toEqual(Buffer.from(body(Number(label(m).slice(1)))));
        expect(m.deliveries === null || m.deliveries === 1).toBe(true);
        expect(m.publishedAt === null || m.publishedAt > 1_600_000_000_000).toBe(true);
      }
      for (const scope of new Set(got.map(orderScope))) {
        const inScope = got.filter((m) => orderScope(m) === scope).map((m) => Number(label(m).slice(1)));
        expect(inScope).toEqual([...inScope].sort((a, b) => a - b));
      }
      // Past the ack wait, nothing comes back: every message was acked.
      expect(await fetchFor(consumer, ACK_WAIT_MS * 2.5)).toEqual([]);
      if (lagBefore !== null) {
        expect(lagBefore).toBe(count);
        expect(await consumer.lag()).toBe(0);
      }
    });

    test('redelivers an un-acked message after the ack wait, and never an acked one', async () => {
      const broker = await open();
      const n = names();
      const consumer = await broker.consumer({ ...n, consumer: 'c1' });
      await broker.publish(n.subject, body(0));
      await broker.publish(n.subject, body(1));
      const first = await collect(consumer, 2, { ack: false, max: 10 });
      const acked = first.find((m) => label(m) === 'm0')!;
      const kept = first.find((m) => label(m) === 'm1')!;
      await consumer.ack([acked]);

      const again = await collect(consumer, 1, { ack: false, max: 10 });
      expect(again.map(label)).toEqual(['m1']);
      expect(again[0]!.id).toBe(kept.id);
      if (again[0]!.deliveries !== null) expect(again[0]!.deliveries).toBeGreaterThanOrEqual(2);
      await consumer.ack(again);
      expect(await fetchFor(consumer, ACK_WAIT_MS * 2.5)).toEqual([]);
    });

    test('shares a group between two consumers: each message reaches exactly one', async () => {
      const [a, b] = [await open(), await open()];
      const n = names();
      const ca = await a.consumer({ ...n, consumer: 'a' });
      const cb = await b.consumer({ ...n, consumer: 'b' });
      const count = 40;
      for (let i = 0; i < count; i++) await a.publish(n.subject, body(i));

      const byA: StreamMessage[] = [];
      const byB: StreamMessage[] = [];
      const deadline = Date.now() + DEADLINE_MS;
      while (byA.length + byB.length < count && Date.now() < deadline) {
        for (const [consumer, into] of [[ca, byA], [cb, byB]] as const) {
          const batch = await consumer.fetch(5, 1000);
          await consumer.ack(batch);
          into.push(...batch);
        }
      }
      const all = [...byA, ...byB].map(label);
      expect(all.sort()).toEqual(labels(count).sort());
      if (options.sharesEveryFetch !== false) {
        expect(byA.length).toBeGreaterThan(0);
        expect(byB.length).toBeGreaterThan(0);
      }
    });

    test("hands a crashed consumer's un-acked messages to another consumer of the group", async () => {
      const [a, b] = [await open(), await open()];
      const n = names();
      const crashing = await a.consumer({ ...n, consumer: 'a' });
      const count = 10;
      for (let i = 0; i < count; i++) await a.publish(n.subject, body(i));
      expect((await collect(crashing, count, { ack: false, max: count })).length).toBe(count);
      // The replica dies holding everything, without acking.
      await crashing.close();
      await a.close();

      const survivor = await b.consumer({ ...n, consumer: 'b' });
      const got = await collect(survivor, count, { ack: true, max: count });
      expect(got.map(label).sort()).toEqual(labels(count).sort());
      for (const m of got) if (m.deliveries !== null) expect(m.deliveries).toBeGreaterThanOrEqual(2);
    });

    test('keeps the group durable: a new consumer resumes after the acked messages; another group reads all', async () => {
      const broker = await open();
      const n = names();
      const first = await broker.consumer({ ...n, consumer: 'c1' });
      for (let i = 0; i < 6; i++) await broker.publish(n.subject, body(i));
      const half = await collect(first, 3, { ack: true, max: 3 });
      await first.close();

      const resumed = await broker.consumer({ ...n, consumer: 'c2' });
      const rest = await collect(resumed, 3, { ack: true, max: 10 });
      expect([...half, ...rest].map(label).sort()).toEqual(labels(6).sort());
      expect(await fetchFor(resumed, ACK_WAIT_MS * 1.5)).toEqual([]);

      // A group created after the messages were published still starts at the beginning.
      const other = await broker.consumer({ ...n, group: `${n.group}_other`, consumer: 'c3' });
      expect((await collect(other, 6, { ack: true, max: 10 })).map(label).sort()).toEqual(labels(6).sort());
    });

    test('answers a fetch that is waiting as soon as a message is published', async () => {
      const broker = await open();
      const n = names();
      const consumer = await broker.consumer({ ...n, consumer: 'c1' });
      // an empty answer first: whatever the consumer keeps open between fetches is open now
      expect(await consumer.fetch(10, 200)).toEqual([]);
      for (const i of [0, 1]) {
        const waiting = consumer.fetch(10, DEADLINE_MS);
        await sleep(300);
        await broker.publish(n.subject, body(i));
        const got = await waiting;
        expect(got.map(label)).toEqual([`m${i}`]);
        await consumer.ack(got);
      }
    });

    test('answers [] after waitMs when nothing comes, also after messages were read', async () => {
      const broker = await open();
      const n = names();
      const consumer = await broker.consumer({ ...n, consumer: 'c1' });
      for (let i = 0; i < 3; i++) await broker.publish(n.subject, body(i));
      expect((await collect(consumer, 3, { ack: true, max: 10 })).map(label).sort()).toEqual(labels(3));
      expect(await consumer.fetch(10, 300)).toEqual([]);
      expect(await consumer.fetch(10, 0)).toEqual([]);
      await broker.publish(n.subject, body(3));
      expect((await collect(consumer, 1, { ack: true, max: 10 })).map(label)).toEqual(['m3']);
      expect(await consumer.fetch(10, 300)).toEqual([]);
    });

    test('hands what a closed consumer held un-acked, fetched or not yet, to another consumer of the group', async () => {
      const [a, b] = [await open(), await open()];
      const n = names();
      const closing = await a.consumer({ ...n, consumer: 'a' });
      const count = 10;
      for (let i = 0; i < count; i++) await a.publish(n.subject, body(i));
      // Fetches a few; a consumer that reads ahead holds more than it handed out.
      const fetched = await collect(closing, 2, { ack: false, max: 2 });
      await closing.close();

      const survivor = await b.consumer({ ...n, consumer: 'b' });
      const got = await collect(survivor, count, { ack: true, max: count });
      expect(got.map(label).sort()).toEqual(labels(count).sort());
      for (const m of got.filter((g) => fetched.some((f) => f.id === g.id))) if (m.deliveries !== null) expect(m.deliveries).toBeGreaterThanOrEqual(2);
      expect(await fetchFor(survivor, ACK_WAIT_MS * 1.5)).toEqual([]);
    });

    test('stops delivering to a closed consumer: later messages go to the rest of the group', async () => {
      const [a, b] = [await open(), await open()];
      const n = names();
      const closing = await a.consumer({ ...n, consumer: 'a' });
      const staying = await b.consumer({ ...n, consumer: 'b' });
      // both waiting on the empty stream, then one leaves
      expect(await closing.fetch(10, 200)).toEqual([]);
      expect(await staying.fetch(10, 200)).toEqual([]);
      await closing.close();
      await expect(closing.fetch(10, 0)).rejects.toMatchObject({ code: 'FALAJ_STREAM_UNAVAILABLE' });

      const count = 10;
      for (let i = 0; i < count; i++) await a.publish(n.subject, body(i));
      const got = await collect(staying, count, { ack: true, max: count });
      expect(got.map(label).sort()).toEqual(labels(count).sort());
      // not first handed to the closed consumer and back after the ack wait
      for (const m of got) expect(m.deliveries === null || m.deliveries === 1).toBe(true);
    });

    test('hands out nothing twice when a consumer idles past the ack wait between fetches', async () => {
      const [a, b] = [await open(), await open()];
      const n = names();
      const idle = await a.consumer({ ...n, consumer: 'a' });
      const busy = await b.consumer({ ...n, consumer: 'b' });
      expect(await idle.fetch(1, 200)).toEqual([]);
      expect(await busy.fetch(10, 200)).toEqual([]);
      const count = 6;
      for (let i = 0; i < count; i++) await a.publish(n.subject, body(i));
      const got = await collect(idle, 1, { ack: true, max: 1 });
      // What `idle` read ahead, if anything, is handed out again meanwhile (to `busy`, maybe).
      await sleep(ACK_WAIT_MS * 1.5);
      const deadline = Date.now() + DEADLINE_MS;
      while (got.length < count && Date.now() < deadline) {
        for (const consumer of [idle, busy]) {
          const batch = await consumer.fetch(10, 200);
          await consumer.ack(batch);
          got.push(...batch);
        }
      }
      got.push(...(await fetchFor(idle, ACK_WAIT_MS * 1.5)), ...(await fetchFor(busy, ACK_WAIT_MS * 0.5)));
      expect(got.map(label).sort()).toEqual(labels(count).sort());
    });

    test('answers [] once waitMs has passed on an empty stream', async () => {
      const broker = await open();
      const consumer = await broker.consumer({ ...names(), consumer: 'c1' });
      expect(await consumer.fetch(10, 200)).toEqual([]);
      expect(await consumer.fetch(1, 0)).toEqual([]);
      await consumer.ack([]);
    });

    test('closes idempotently; a closed consumer refuses to fetch', async () => {
      const broker = await makeBroker({ ackWaitMs: ACK_WAIT_MS });
      const consumer = await broker.consumer({ ...names(), consumer: 'c1' });
      await consumer.close();
      await consumer.close();
      await expect(consumer.fetch(1, 0)).rejects.toMatchObject({ code: 'FALAJ_STREAM_UNAVAILABLE' });
      await broker.close();
      await broker.close();
    });

    test('refuses names the brokers cannot all hold', async () => {
      const broker = await open();
      const n = names();
      await expect(broker.consumer({ ...n, stream: 'has.dot', consumer: 'c1' })).rejects.toMatchObject({ code: 'FALAJ_STREAM_CONFIG_INVALID' });
      await expect(broker.consumer({ ...n, subject: 'orders.*', consumer: 'c1' })).rejects.toMatchObject({ code: 'FALAJ_STREAM_CONFIG_INVALID' });
      await expect(broker.consumer({ ...n, group: '', consumer: 'c1' })).rejects.toMatchObject({ code: 'FALAJ_STREAM_CONFIG_INVALID' });
      await expect(broker.publish('with space', body(0))).rejects.toMatchObject({ code: 'FALAJ_STREAM_CONFIG_INVALID' });
    });
  });
}

/** Message `i`'s bytes: a zero and a 0xff byte (binary-safe), then `m<i>`. */
function body(i: number): Uint8Array {
  return new Uint8Array([0x00, 0xff, ...Buffer.from(`m${i}`)]);
}

function label(message: StreamMessage): string {
  return Buffer.from(message.data.subarray(2)).toString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function labels(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `m${i}`);
}

/** Fetches until `count` messages arrived (failing after the deadline), acking each batch if asked. */
async function collect(consumer: StreamConsumer, count: number, how: { ack: boolean; max: number }): Promise<StreamMessage[]> {
  const got: StreamMessage[] = [];
  const deadline = Date.now() + DEADLINE_MS;
  while (got.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${got.length} of ${count} messages arrived: ${got.map(label).join(', ')}`);
    const batch = await consumer.fetch(Math.min(how.max, count - got.length), 1000);
    if (how.ack) await consumer.ack(batch);
    got.push(...batch);
  }
  return got;
}

/** Everything fetched over `ms` (acked, so that nothing is counted twice). */
async function fetchFor(consumer: StreamConsumer, ms: number): Promise<StreamMessage[]> {
  const got: StreamMessage[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const batch = await consumer.fetch(10, Math.max(0, Math.min(500, until - Date.now())));
    await consumer.ack(batch);
    got.push(...batch);
  }
  return got;
}
