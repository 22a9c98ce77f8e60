// bench/tracking: run search over HTTP, beside the floor: hand-written SQL for the same
// page (ids in order) and the same page data (params, tags, latest metrics, inputs), run
// by this process straight against the server's database.
import Database from 'better-sqlite3';
import pg from 'pg';
import { median, percentile } from '../lib.js';
import { PROJECT } from './engine.js';

const ORDER = ['metrics.m7 DESC'];
const AND_FILTER = "metrics.m3 > 0.5 and params.lr = '0.01'";
const OR_FILTER = "(metrics.m3 > 0.9 or metrics.m5 < 0.1) and (params.lr = '0.01' or tags.team = 'risk')";

// Hand-written equivalents (the fastest of the forms tried: joins, EXISTS, IN, IN with
// UNION ALL), on the schema's (key, value) indexes; the param subquery repeats the
// 200-character prefix that run_params_key_value indexes. `:exp` and `:limit` are filled
// in as literals.
const PARAM_LR = "select run_id from run_params where key = 'lr' and substr(value, 1, 200) = '0.01' and value = '0.01'";
const AND_SQL = `select r.* from runs r
  left join latest_metrics o on o.run_id = r.id and o.key = 'm7'
 where r.experiment_id = ':exp' and r.lifecycle_stage = 'active'
   and r.id in (select run_id from latest_metrics where key = 'm3' and is_nan = 0 and value > 0.5)
   and r.id in (${PARAM_LR})
 order by o.value desc nulls last, r.start_time desc, r.id
 limit :limit`;
const OR_SQL = `select r.* from runs r
  left join latest_metrics o on o.run_id = r.id and o.key = 'm7'
 where r.experiment_id = ':exp' and r.lifecycle_stage = 'active'
   and r.id in (select run_id from latest_metrics where key = 'm3' and is_nan = 0 and value > 0.9
                union all select run_id from latest_metrics where key = 'm5' and is_nan = 0 and value < 0.1)
   and r.id in (${PARAM_LR}
                union all select run_id from run_tags where key = 'team' and value = 'risk')
 order by o.value desc nulls last, r.start_time desc, r.id
 limit :limit`;
const PAGE_DATA_SQL = {
  sqlite: (n) => {
    const list = Array.from({ length: n }, () => '?').join(', ');
    return [
      `select run_id, key, value from run_params where run_id in (${list})`,
      `select run_id, key, value from run_tags where run_id in (${list})`,
      `select * from latest_metrics where run_id in (${list})`,
      `select * from run_inputs where run_id in (${list})`,
    ];
  },
  postgres: () => [
    'select run_id, key, value from run_params where run_id = any($1::text[])',
    'select run_id, key, value from run_tags where run_id = any($1::text[])',
    'select * from latest_metrics where run_id = any($1::text[])',
    'select * from run_inputs where run_id = any($1::text[])',
  ],
};

export const QUERIES = [
  { name: 'and, order by m7', filter: AND_FILTER, sql: AND_SQL, maxResults: 1000 },
  { name: 'and, order by m7', filter: AND_FILTER, sql: AND_SQL, maxResults: 100 },
  { name: 'or + parentheses', filter: OR_FILTER, sql: OR_SQL, maxResults: 1000 },
  { name: 'or + parentheses', filter: OR_FILTER, sql: OR_SQL, maxResults: 100 },
];

/** The SQL the floor runs, for printing. */
export function floorSqlText(engine) {
  return [AND_SQL, OR_SQL].map((s) => s.replace(':exp', '<experiment id>').replace(':limit', '<max>')).concat(...PAGE_DATA_SQL[engine](3).map((s) => s.replace('?, ?, ?', '<page ids>')));
}

/** A connection of our own to the server's database, running the hand-written SQL. */
export async function openFloor(eng) {
  if (eng.engine === 'sqlite') {
    const db = new Database(eng.url, { readonly: true });
    return {
      page: (text) => db.prepare(text).all(),
      data: (ids) => PAGE_DATA_SQL.sqlite(ids.length).map((t) => db.prepare(t).all(ids)),
      matches: (text) => db.prepare(`select count(*) as n from (${text.replace(/\n order by[\s\S]*$/, '')})`).get().n,
      close: async () => db.close(),
    };
  }
  // four connections, as the server reads a page's four tables in parallel
  const pool = new pg.Pool({ connectionString: eng.url, max: 4 });
  return {
    page: async (text) => (await pool.query(text)).rows,
    data: (ids) => Promise.all(PAGE_DATA_SQL.postgres().map((t) => pool.query(t, [ids]).then((r) => r.rows))),
    matches: async (text) => Number((await pool.query(`select count(*) as n from (${text.replace(/\n order by[\s\S]*$/, '')}) t`)).rows[0].n),
    close: () => pool.end(),
  };
}

/**
 * Each query `repeats` times over HTTP (raw POST, the body read but not parsed) and as
 * hand-written SQL, after two warm-ups each; checks both return the same runs in order.
 */
export async function searchTimings(client, floor, experimentId, repeats) {
  const rows = [];
  for (const q of QUERIES) {
    const text = q.sql.replace(':exp', experimentId).replace(':limit', String(q.maxResults));
    const body = { experimentIds: [experimentId], filter: q.filter, orderBy: ORDER, maxResults: q.maxResults };
    const http = [];
    let last;
    for (let i = 0; i < repeats + 2; i++) {
      const t = performance.now();
      last = await client.transport.request('POST', `/api/v1/projects/${PROJECT}/runs/search`, body);
      if (last.status !== 200) throw new Error(`search answered ${last.status}: ${last.body.slice(0, 500)}`);
      if (i >= 2) http.push(performance.now() - t);
    }
    const sqlTimes = [];
    let floorIds;
    for (let i = 0; i < repeats + 2; i++) {
      const t = performance.now();
      const page = await floor.page(text);
      floorIds = page.map((r) => r.id);
      await floor.data(floorIds);
      if (i >= 2) sqlTimes.push(performance.now() - t);
    }
    const served = JSON.parse(last.body).runs.map((r) => r.info.id);
    if (served.length !== floorIds.length || served.some((id, i) => id !== floorIds[i])) {
      throw new Error(`search "${q.filter}" (max ${q.maxResults}): the server's ${served.length} runs differ from the hand-written SQL's ${floorIds.length}`);
    }
    const matches = await floor.matches(text);
    const h = [...http].sort((a, b) => a - b);
    const s = [...sqlTimes].sort((a, b) => a - b);
    rows.push({ ...q, matches, returned: served.length, bytes: Buffer.byteLength(last.body), httpMedian: median(h), httpP90: percentile(h, 90), sqlMedian: median(s), sqlP90: percentile(s, 90) });
  }
  return rows;
}
