import { afterEach, describe, expect, it } from 'vitest';
import type { OnlineRow, OnlineStore } from '../../../src/storage/online/index.js';

/**
 * The behaviour every OnlineStore shares, run once per engine by `online-store.test.ts`
 * (the Hono `common.case.test.ts` pattern).
 *
 * `factory` opens a handle on this test's store: each test gets a fresh, empty store (a
 * new file, a new key prefix), and calling `factory` twice within one test opens a
 * second handle on the same data, as a second replica would. Handles are closed here.
 * `skips` names tests an engine cannot pass, each with its reason in the caller.
 */
export function describeOnlineStoreConformance(name: string, factory: () => Promise<OnlineStore>, skips: readonly string[] = []): void {
  describe(`online store conformance: ${name}`, () => {
    const opened: OnlineStore[] = [];
    async function open(): Promise<OnlineStore> {
      const store = await factory();
      opened.push(store);
      return store;
    }
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });
    const test = (title: string, body: () => Promise<void>) => it.skipIf(skips.includes(title))(title, body);

    const row = (entityKey: string, view: string, eventTs: number, values: Record<string, unknown>): OnlineRow => ({ entityKey, view, eventTs, values });

    test('round-trips numbers, strings, booleans and nulls', async () => {
      const store = await open();
      const values = { int: 42, neg: -7, float: 3.25, zero: 0, big: 2 ** 52, text: 'LAX', empty: '', yes: true, no: false, none: null };
      expect(await store.write('p', [row('origin=LAX', 'airport', 1_700_000_000_123, values)])).toEqual({ written: 1, skipped: 0 });
      expect(await store.read('p', ['origin=LAX'], ['airport'])).toEqual([{ airport: { eventTs: 1_700_000_000_123, values } }]);
    });

    test('reads many entity keys by several views at once, aligned with the input', async () => {
      const store = await open();
      const views = ['a', 'b', 'c'];
      const rows: OnlineRow[] = [];
      for (let k = 0; k < 20; k++) {
        for (const view of views) if (!(view === 'c' && k % 2 === 1)) rows.push(row(`k${k}`, view, 1000 + k, { k, view }));
      }
      await store.write('p', rows);
      const keys = ['k7', 'missing', 'k0', 'k7', 'k19', 'k4'];
      const result = await store.read('p', keys, ['c', 'a', 'nowhere', 'b']);
      expect(result).toHaveLength(keys.length);
      expect(result[0]).toEqual({ a: { eventTs: 1007, values: { k: 7, view: 'a' } }, b: { eventTs: 1007, values: { k: 7, view: 'b' } } });
      expect(result[1]).toEqual({});
      expect(Object.keys(result[2]!).sort()).toEqual(['a', 'b', 'c']);
      expect(result[2]!.c).toEqual({ eventTs: 1000, values: { k: 0, view: 'c' } });
      expect(result[3]).toEqual(result[0]);
      expect(result[4]!.a!.values).toEqual({ k: 19, view: 'a' });
      expect(result[5]!.c!.values).toEqual({ k: 4, view: 'c' });
    });

    test('answers empty requests without a lookup', async () => {
      const store = await open();
      await store.write('p', [row('e', 'v', 1, { x: 1 })]);
      expect(await store.read('p', [], ['v'])).toEqual([]);
      expect(await store.read('p', ['e', 'f'], [])).toEqual([{}, {}]);
      expect(await store.read('p', ['e'], [])).toEqual([{}]);
      expect(await store.write('p', [])).toEqual({ written: 0, skipped: 0 });
    });

    test('overwrites only with a strictly newer eventTs', async () => {
      const store = await open();
      expect(await store.write('p', [row('e', 'v', 100, { x: 1 })])).toEqual({ written: 1, skipped: 0 });
      expect(await store.write('p', [row('e', 'v', 99, { x: 2 }), row('e', 'v', 100, { x: 3 })])).toEqual({ written: 0, skipped: 2 });
      expect((await store.read('p', ['e'], ['v']))[0]).toEqual({ v: { eventTs: 100, values: { x: 1 } } });
      expect(await store.write('p', [row('e', 'v', 101, { x: 4 })])).toEqual({ written: 1, skipped: 0 });
      expect((await store.read('p', ['e'], ['v']))[0]).toEqual({ v: { eventTs: 101, values: { x: 4 } } });
    });

    test('applies rows of one batch in order, the newest winning', async () => {
      const store = await open();
      const result = await store.write('p', [row('e', 'v', 5, { x: 5 }), row('e', 'v', 3, { x: 3 }), row('e', 'v', 7, { x: 7 }), row('e', 'v', 7, { x: 8 })]);
      expect(result).toEqual({ written: 2, skipped: 2 });
      expect((await store.read('p', ['e'], ['v']))[0]).toEqual({ v: { eventTs: 7, values: { x: 7 } } });
    });

    test('keeps views of one entity independent', async () => {
      const store = await open();
      await store.write('p', [row('e', 'fresh', 1000, { x: 1 })]);
      // an older row of another view is not compared with the first view's time
      expect(await store.write('p', [row('e', 'stale', 10, { y: 1 })])).toEqual({ written: 1, skipped: 0 });
      expect(await store.write('p', [row('e', 'fresh', 2000, { x: 2 })])).toEqual({ written: 1, skipped: 0 });
      expect((await store.read('p', ['e'], ['fresh', 'stale']))[0]).toEqual({
        fresh: { eventTs: 2000, values: { x: 2 } },
        stale: { eventTs: 10, values: { y: 1 } },
      });
    });

    test('isolates projects', async () => {
      const store = await open();
      await store.write('alpha', [row('e', 'v', 10, { who: 'alpha' })]);
      expect(await store.write('beta', [row('e', 'v', 5, { who: 'beta' })])).toEqual({ written: 1, skipped: 0 });
      expect(await store.read('alpha', ['e'], ['v'])).toEqual([{ v: { eventTs: 10, values: { who: 'alpha' } } }]);
      expect(await store.read('beta', ['e'], ['v'])).toEqual([{ v: { eventTs: 5, values: { who: 'beta' } } }]);
      expect(await store.read('gamma', ['e'], ['v'])).toEqual([{}]);
      expect(await store.deleteView('alpha', 'v')).toBe(1);
      expect(await store.read('beta', ['e'], ['v'])).toEqual([{ v: { eventTs: 5, values: { who: 'beta' } } }]);
    });

    test('deleteView removes only that view and counts the entity keys that had it', async () => {
      const store = await open();
      await store.write('p', [
        row('e1', 'gone', 1, { x: 1 }),
        row('e1', 'kept', 1, { y: 1 }),
        row('e2', 'gone', 1, { x: 2 }),
        row('e3', 'kept', 1, { y: 3 }),
      ]);
      expect(await store.deleteView('p', 'gone')).toBe(2);
      expect(await store.read('p', ['e1', 'e2', 'e3'], ['gone', 'kept'])).toEqual([
        { kept: { eventTs: 1, values: { y: 1 } } },
        {},
        { kept: { eventTs: 1, values: { y: 3 } } },
      ]);
      expect(await store.deleteView('p', 'gone')).toBe(0);
      // a recreated view starts afresh: an older time than the deleted value is accepted
      expect(await store.write('p', [row('e1', 'gone', 0, { x: 9 })])).toEqual({ written: 1, skipped: 0 });
    });

    test('round-trips a 10,000-row batch', async () => {
      const store = await open();
      const views = ['v1', 'v2', 'v3', 'v4'];
      const rows: OnlineRow[] = [];
      for (let k = 0; k < 2500; k++) for (const view of views) rows.push(row(`user=${k}`, view, 1_000 + k, { k, view, score: k / 7 }));
      expect(await store.write('p', rows)).toEqual({ written: 10_000, skipped: 0 });
      const keys = rows.filter((r) => r.view === 'v1').map((r) => r.entityKey);
      const result = await store.read('p', keys, views);
      expect(result).toHaveLength(2500);
      for (let k = 0; k < 2500; k += 1) {
        for (const view of views) expect(result[k]![view]).toEqual({ eventTs: 1_000 + k, values: { k, view, score: k / 7 } });
      }
      expect(await store.write('p', rows)).toEqual({ written: 0, skipped: 10_000 });
    });

    test('keeps unicode and separator-like characters in entity keys and values apart', async () => {
      const store = await open();
      const keys = ['a', 'a:b', 'a:b:c', ':', '*', '?', '[a]', 'a\\b', 'x\u001fy', 'v@t', 'مطار=دبي', 'emoji=🐪', ' ', ''];
      await store.write('p', keys.map((key, i) => row(key, 'v', i + 1, { key, note: 'قيمة "quoted" \n ✓' })));
      const result = await store.read('p', keys, ['v']);
      keys.forEach((key, i) => expect(result[i]).toEqual({ v: { eventTs: i + 1, values: { key, note: 'قيمة "quoted" \n ✓' } } }));
      expect(await store.read('p', ['a:'], ['v'])).toEqual([{}]);
      expect(await store.deleteView('p', 'v')).toBe(keys.length);
    });

    test('rejects project and view names the key layout cannot hold, writing nothing', async () => {
      const store = await open();
      await expect(store.write('a:b', [row('e', 'v', 1, {})])).rejects.toMatchObject({ code: 'FALAJ_ONLINE_KEY_INVALID' });
      await expect(store.read('p*', ['e'], ['v'])).rejects.toMatchObject({ code: 'FALAJ_ONLINE_KEY_INVALID' });
      await expect(store.read('p', ['e'], ['v@t'])).rejects.toMatchObject({ code: 'FALAJ_ONLINE_KEY_INVALID' });
      await expect(store.deleteView('p', '')).rejects.toMatchObject({ code: 'FALAJ_ONLINE_KEY_INVALID' });
      await expect(store.write('p', [row('e', 'ok', 1, {}), row('e', 'v@t', 1, {})])).rejects.toMatchObject({ code: 'FALAJ_ONLINE_KEY_INVALID' });
      await expect(store.write('p', [row('e', 'ok', 1, {}), row('e', 'v', 1.5, {})])).rejects.toMatchObject({ code: 'FALAJ_VALIDATION_FAILED' });
      expect(await store.read('p', ['e'], ['ok'])).toEqual([{}]);
    });

    test('a second handle sees what the first wrote', async () => {
      const first = await open();
      const second = await open();
      await first.write('p', [row('e', 'v', 1, { x: 1 })]);
      expect(await second.read('p', ['e'], ['v'])).toEqual([{ v: { eventTs: 1, values: { x: 1 } } }]);
      expect(await second.write('p', [row('e', 'v', 1, { x: 2 })])).toEqual({ written: 0, skipped: 1 });
    });

    test('pings, and fails with FALAJ_ONLINE_STORE_UNAVAILABLE once closed', async () => {
      const store = await open();
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await expect(store.read('p', ['e'], ['v'])).rejects.toMatchObject({ name: 'UnavailableError', code: 'FALAJ_ONLINE_STORE_UNAVAILABLE' });
      await expect(store.ping()).rejects.toMatchObject({ code: 'FALAJ_ONLINE_STORE_UNAVAILABLE' });
      await store.close(); // twice is harmless
    });
  });
}
