// The floor: the flights delay_model training set written by hand in DuckDB SQL, the way
// a careful engineer would without Falaj: one ASOF JOIN for the plain route features and
// one UNION ALL + window pass per view for its aggregations, joined back to the spine.
const DAY = 86_400_000_000n; // microseconds
const range = (days) => `RANGE BETWEEN INTERVAL (${BigInt(days) * DAY - 1n}) MICROSECONDS PRECEDING AND CURRENT ROW`;

function windowPass(name, keys, aggregates, flights) {
  const k = keys.join(', ');
  const cols = aggregates.map(([alias, fn, days]) => `${fn}(delay) OVER (PARTITION BY ${k} ORDER BY t ${range(days)}) AS ${alias}`).join(',\n        ');
  return `${name} AS (
    SELECT rid, ${aggregates.map(([alias]) => alias).join(', ')} FROM (
      SELECT rid, is_spine, ${cols}
      FROM (SELECT ${k}, event_timestamp AS t, rid, TRUE AS is_spine, NULL::BIGINT AS delay FROM spine
            UNION ALL SELECT ${k}, date, NULL, FALSE, delay FROM ${flights})
    ) WHERE is_spine)`;
}

/** `COPY (…) TO out`: the same 17 feature columns as the delay_model service. */
export function handWrittenSql(spinePath, flightsPath, outPath) {
  const flights = `read_parquet('${flightsPath}')`;
  return `COPY (
  WITH spine AS MATERIALIZED (SELECT *, row_number() OVER () AS rid FROM read_parquet('${spinePath}')),
  ${windowPass('o', ['origin'], [['origin_flights_1d', 'count', 1], ['origin_delay_mean_1d', 'avg', 1], ['origin_delay_max_1d', 'max', 1], ['origin_delay_mean_7d', 'avg', 7], ['origin_delay_stddev_7d', 'stddev_samp', 7], ['origin_delay_mean_30d', 'avg', 30]], flights)},
  ${windowPass('d', ['destination'], [['dest_flights_1d', 'count', 1], ['dest_delay_mean_1d', 'avg', 1], ['dest_delay_mean_7d', 'avg', 7], ['dest_delay_mean_30d', 'avg', 30]], flights)},
  ${windowPass('r', ['origin', 'destination'], [['route_flights_7d', 'count', 7], ['route_delay_mean_7d', 'avg', 7], ['route_delay_mean_30d', 'avg', 30]], flights)}
  SELECT s.origin, s.destination, s.event_timestamp, s.delayed_15m,
         o.origin_flights_1d, o.origin_delay_mean_1d, o.origin_delay_max_1d, o.origin_delay_mean_7d, o.origin_delay_stddev_7d, o.origin_delay_mean_30d,
         d.dest_flights_1d, d.dest_delay_mean_1d, d.dest_delay_mean_7d, d.dest_delay_mean_30d,
         f.distance AS route_distance, f.delay AS route_last_delay,
         r.route_flights_7d, r.route_delay_mean_7d, r.route_delay_mean_30d
  FROM spine s
  ASOF LEFT JOIN ${flights} f ON s.origin = f.origin AND s.destination = f.destination AND s.event_timestamp >= f.date
  LEFT JOIN o ON o.rid = s.rid LEFT JOIN d ON d.rid = s.rid LEFT JOIN r ON r.rid = s.rid
  ORDER BY s.rid
) TO '${outPath}' (FORMAT parquet)`;
}

/** The bare ASOF JOIN of the plain features alone (no aggregation at all): the lowest floor. */
export function plainAsofSql(spinePath, flightsPath, outPath) {
  return `COPY (SELECT s.*, f.distance AS route_distance, f.delay AS route_last_delay
    FROM read_parquet('${spinePath}') s ASOF LEFT JOIN read_parquet('${flightsPath}') f
      ON s.origin = f.origin AND s.destination = f.destination AND s.event_timestamp >= f.date) TO '${outPath}' (FORMAT parquet)`;
}
