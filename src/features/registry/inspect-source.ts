import { sourceRelation, type LazyDuckDbEngine } from '../../storage/offline/index.js';
import type { ResolvedSource } from '../definitions/resolved.js';

/** Reads a source's column names without reading its rows (DuckDB `DESCRIBE`). */
export function sourceInspector(engines: LazyDuckDbEngine) {
  return async (source: ResolvedSource): Promise<{ columns: string[] } | { error: string }> => {
    try {
      const rows = await (await engines.get()).query(`DESCRIBE SELECT * FROM ${sourceRelation(source)}`);
      return { columns: rows.map((r) => String(r.column_name)) };
    } catch (err) {
      return { error: `source ${source.name} cannot be read: ${(err as Error).message.split('\n')[0]}` };
    }
  };
}
