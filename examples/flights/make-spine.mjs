#!/usr/bin/env node
// Builds a spine (entity rows with an event_timestamp) from the flights themselves:
// one row per sampled flight, asked about 2 hours before departure, with the label the
// model learns ("left more than 15 minutes late"). Asking before departure matters: at
// the departure time itself the flight's own delay would be inside the windows.
//
// usage: node examples/flights/make-spine.mjs [rows=1000000] [out=examples/flights/spine.parquet]
import { DuckDBInstance } from '@duckdb/node-api';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const rows = Number(process.argv[2] ?? 1_000_000);
const out = resolve(process.argv[3] ?? resolve(here, 'spine.parquet'));
const flights = resolve(here, '../../node_modules/vega-datasets/data/flights-3m.parquet');

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
await conn.run("SET TimeZone = 'UTC'");
await conn.run(`
  COPY (
    SELECT origin, destination, date - INTERVAL 2 HOUR AS event_timestamp, delay > 15 AS delayed_15m
    FROM read_parquet('${flights.replace(/'/g, "''")}')
    USING SAMPLE reservoir(${rows} ROWS) REPEATABLE (42)
    ORDER BY event_timestamp
  ) TO '${out.replace(/'/g, "''")}' (FORMAT parquet)`);
const count = (await conn.runAndReadAll(`SELECT count(*) AS n FROM '${out.replace(/'/g, "''")}'`)).getRowObjects()[0].n;
console.log(`wrote ${count} spine rows to ${out}`);
