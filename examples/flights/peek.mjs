#!/usr/bin/env node
// Looks into a training set built from the flights: a few rows of one route, how often
// each feature is filled, and whether the features tell delayed flights apart.
//
// usage: node examples/flights/peek.mjs train.parquet
import { DuckDBInstance } from '@duckdb/node-api';

const file = (process.argv[2] ?? 'train.parquet').replace(/'/g, "''");
const conn = await (await DuckDBInstance.create(':memory:')).connect();
await conn.run("SET TimeZone = 'UTC'");
const show = async (title, sql) => {
  console.log(`\n${title}`);
  console.table((await conn.runAndReadAll(sql)).getRowObjectsJson());
};
await show('LAX → JFK, four consecutive spine rows', `
  SELECT strftime(event_timestamp, '%Y-%m-%d %H:%M') AS asked_at, delayed_15m, route_last_delay, route_flights_7d,
         round(route_delay_mean_7d, 1) AS route_mean_7d, origin_flights_1d, round(origin_delay_mean_1d, 1) AS lax_mean_1d
  FROM '${file}' WHERE origin = 'LAX' AND destination = 'JFK' AND event_timestamp >= TIMESTAMP '2001-03-01' ORDER BY event_timestamp LIMIT 4`);
await show('Filled (non-null) share of each feature', `
  SELECT round(avg((origin_delay_mean_1d IS NOT NULL)::INT), 3) AS origin_mean_1d, round(avg((dest_delay_mean_7d IS NOT NULL)::INT), 3) AS dest_mean_7d,
         round(avg((route_delay_mean_30d IS NOT NULL)::INT), 3) AS route_mean_30d, round(avg((route_last_delay IS NOT NULL)::INT), 3) AS route_last_delay,
         count(*) AS rows FROM '${file}'`);
await show('Feature means by label (delayed more than 15 minutes or not)', `
  SELECT delayed_15m, count(*) AS flights, round(avg(origin_delay_mean_1d), 2) AS origin_mean_1d, round(avg(dest_delay_mean_1d), 2) AS dest_mean_1d,
         round(avg(route_delay_mean_7d), 2) AS route_mean_7d, round(avg(route_last_delay), 2) AS route_last_delay
  FROM '${file}' GROUP BY delayed_15m ORDER BY delayed_15m`);
