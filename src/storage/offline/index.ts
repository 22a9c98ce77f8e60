export { DuckDbEngine, type DuckDbEngineOptions, type SqlParam, type SqlParams, type StreamOptions } from './duckdb-engine.js';
export { createPlainValueConverter, type DuckDbApi, type PlainValue, type Row } from './duckdb-values.js';
export { quoteIdent, quoteLiteral } from './sql-quote.js';
export { timestampSql, timestampLiteral, intervalMicrosSql, intervalMillisSql } from './sql-time.js';
export {
  sourceRelation,
  fileRelation,
  formatOfPath,
  duckDbType,
  EVENT_ID_COLUMN,
  type OfflineSource,
  type OfflineFileFormat,
  type OfflineValueType,
} from './source-sql.js';
export { LazyDuckDbEngine } from './lazy-engine.js';
