import { randomUUID } from 'node:crypto';
import { open, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ValidRow } from '../../features/push/push-row.js';
import { PUSH_PARTITION_COLUMN } from '../../features/push/parquet-appender.js';
import type { PushSource } from '../../features/index.js';
import { duckDbType, EVENT_ID_COLUMN, quoteIdent, quoteLiteral, type LazyDuckDbEngine } from '../../storage/offline/index.js';


/**
 * Appends a stream's validated rows to its source's offline directory durably, before
 * the messages are acknowledged: DuckDB writes date-partitioned Parquet into a staging
 * directory, each file is fsynced, then renamed into place (a rename is atomic, so a
 * reader never sees half a file). Each row carries its message id in `__event_id`, so a
 * batch replayed after a crash (written, not yet acknowledged) is dropped at read time.
 */
export async function appendStreamRows(engines: LazyDuckDbEngine, source: PushSource, rows: readonly { row: ValidRow; id: string }[], tempRoot: string): Promise<number> {
  if (rows.length === 0) return 0;
  const staging = join(tempRoot, `stream-${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  try {
    const input = join(staging, 'rows.jsonl');
    await writeFile(input, rows.map(({ row, id }) => JSON.stringify({ ...row.values, [EVENT_ID_COLUMN]: id })).join('\n') + '\n');
    const columns = Object.entries(source.schema);
    const spec = [...columns.map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(duckDbType(type))}`), `${quoteLiteral(EVENT_ID_COLUMN)}: 'VARCHAR'`].join(', ');
    const select = [...columns.map(([name]) => quoteIdent(name)), quoteIdent(EVENT_ID_COLUMN)].join(', ');
    const out = join(staging, 'out');
    const engine = await engines.get();
    await engine.query(
      `COPY (SELECT ${select}, strftime(${quoteIdent(source.timestampField)}, '%Y-%m-%d') AS ${quoteIdent(PUSH_PARTITION_COLUMN)}
         FROM read_json(${quoteLiteral(input)}, format='newline_delimited', columns={${spec}}))
       TO ${quoteLiteral(out)} (FORMAT parquet, PARTITION_BY (${quoteIdent(PUSH_PARTITION_COLUMN)}), FILENAME_PATTERN 'part-{uuid}')`,
    );
    for (const partition of await readdir(out)) {
      const target = join(source.path, partition);
      await mkdir(target, { recursive: true });
      for (const file of await readdir(join(out, partition))) {
        const from = join(out, partition, file);
        await fsync(from);
        await rename(from, join(target, file));
      }
      await fsync(target);
    }
    return rows.length;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
