import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine, quoteIdent, quoteLiteral } from '../../../src/storage/offline/index.js';

let engine: DuckDbEngine;
beforeAll(async () => {
  engine = await DuckDbEngine.create({ threads: 2, memoryLimit: '1GB' });
});
afterAll(async () => {
  await engine.close();
});

describe('DuckDbEngine', () => {
  it('returns plain JavaScript values', async () => {
    const [row] = await engine.query(`
      SELECT 42::BIGINT AS big, 9007199254740993::BIGINT AS huge, 12.50::DECIMAL(10, 2) AS dec, 1.5::DOUBLE AS dbl,
             TIMESTAMP '2024-01-01 00:00:00.001' AS ts, TIMESTAMPTZ '2024-01-01 04:00:00+04' AS tstz,
             TIMESTAMP_NS '1969-12-31 23:59:59.999999999' AS ns, DATE '2024-01-02' AS d,
             'infinity'::TIMESTAMP AS inf, [1::BIGINT, NULL] AS list, {'at': TIMESTAMP '1970-01-01 00:00:01'} AS struct,
             'x' AS s, TRUE AS b, NULL AS n`);
    expect(row).toEqual({
      big: 42,
      huge: 9007199254740993n,
      dec: 12.5,
      dbl: 1.5,
      ts: Date.UTC(2024, 0, 1, 0, 0, 0, 1),
      tstz: Date.UTC(2024, 0, 1),
      ns: -1,
      d: Date.UTC(2024, 0, 2),
      inf: Number.POSITIVE_INFINITY,
      list: [1, null],
      struct: { at: 1000 },
      s: 'x',
      b: true,
      n: null,
    });
  });

  it('works in UTC and binds parameters', async () => {
    expect(await engine.query(`SELECT current_setting('TimeZone') AS tz, $1::VARCHAR AS p, $2::INTEGER + 1 AS q`, ['a', 41])).toEqual([{ tz: 'UTC', p: 'a', q: 42 }]);
  });

  it('streams rows in batches of the asked size, and an early stop frees the connection', async () => {
    const sizes: number[] = [];
    let total = 0;
    for await (const batch of engine.stream('SELECT range AS i FROM range(25000)', { batchSize: 10_000 })) {
      sizes.push(batch.length);
      total += batch.reduce((a, r) => a + Number(r.i), 0);
    }
    expect(sizes).toEqual([10_000, 10_000, 5_000]);
    expect(total).toBe((25_000 * 24_999) / 2);
    for await (const batch of engine.stream('SELECT * FROM range(100000000)', { batchSize: 10 })) {
      expect(batch).toHaveLength(10);
      break;
    }
    expect(await engine.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('wraps DuckDB errors in FALAJ_OFFLINE_QUERY_FAILED, from queries and from streams', async () => {
    await expect(engine.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: 'FALAJ_OFFLINE_QUERY_FAILED', message: expect.stringContaining('no_such_table') });
    const drain = async () => {
      for await (const _ of engine.stream("SELECT CAST('x' || range AS INTEGER) FROM range(10)")) void _;
    };
    await expect(drain()).rejects.toMatchObject({ code: 'FALAJ_OFFLINE_QUERY_FAILED' });
  });

  it('gives each withConnection its own connection', async () => {
    await engine.withConnection(async (c) => c.run('CREATE TEMP TABLE mine AS SELECT 1 AS x'));
    await expect(engine.query('SELECT * FROM mine')).rejects.toMatchObject({ code: 'FALAJ_OFFLINE_QUERY_FAILED' });
  });

  it('refuses work once closed', async () => {
    const other = await DuckDbEngine.create({ threads: 1 });
    await other.close();
    await expect(other.query('SELECT 1')).rejects.toMatchObject({ code: 'FALAJ_OFFLINE_ENGINE_CLOSED' });
  });
});

describe('quoteIdent and quoteLiteral', () => {
  it.each([`plain`, `with "quotes"`, `it's`, `semi; DROP TABLE x; --`, `ünï ✈`])('round-trip %s through DuckDB', async (text) => {
    const [row] = await engine.query(`SELECT ${quoteLiteral(text)} AS ${quoteIdent(text)}`);
    expect(row).toEqual({ [text]: text });
  });

  it('refuses a NUL character', () => {
    expect(() => quoteLiteral('a\u0000b')).toThrow(expect.objectContaining({ code: 'FALAJ_BAD_REQUEST' }));
    expect(() => quoteIdent('a\u0000b')).toThrow(expect.objectContaining({ code: 'FALAJ_BAD_REQUEST' }));
  });
});
