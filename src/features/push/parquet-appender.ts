import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckDbType, quoteIdent, quoteLiteral, type LazyDuckDbEngine } from '../../storage/offline/index.js';
import type { PushSource } from '../definitions/resolved.js';
import type { ValidRow } from './push-row.js';

/** The hive partition column of pushed rows (a name no user column can take). */
export const PUSH_PARTITION_COLUMN = '__date';

/**
 * Appends validated pushed rows to the source's offline directory as Parquet, partitioned
 * by event date (`__date=YYYY-MM-DD/part-<uuid>.parquet`), through DuckDB. New files
 * only, never rewrites: a crash mid-way leaves earlier pushes intact. Returns rows written.
 */
export function parquetAppender(engines: LazyDuckDbEngine) {
  return async (source: PushSource, rows: readonly ValidRow[]): Promise<number> => {
    await mkdir(source.path, { recursive: true });
    const engine = await engines.get();
    const staging = join(tmpdir(), `falaj-push-${randomUUID()}.jsonl`);
    try {
      await writeFile(staging, rows.map((r) => JSON.stringify(r.values)).join('\n') + '\n');
      const columns = Object.entries(source.schema);
      const spec = columns.map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(duckDbType(type))}`).join(', ');
      const select = columns.map(([name]) => quoteIdent(name)).join(', ');
      await engine.query(
        `COPY (SELECT ${select}, strftime(${quoteIdent(source.timestampField)}, '%Y-%m-%d') AS ${quoteIdent(PUSH_PARTITION_COLUMN)}
           FROM read_json(${quoteLiteral(staging)}, format='newline_delimited', columns={${spec}}))
         TO ${quoteLiteral(source.path)} (FORMAT parquet, PARTITION_BY (${quoteIdent(PUSH_PARTITION_COLUMN)}), APPEND, FILENAME_PATTERN 'part-{uuid}')`,
      );
      return rows.length;
    } finally {
      await rm(staging, { force: true });
    }
  };
}
