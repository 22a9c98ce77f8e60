import { fileRelation, quoteLiteral, type OfflineFileFormat } from '../../storage/offline/index.js';

/**
 * The relation that reads an input file (or directory, or glob) for ingestion, keeping
 * raw values as given so that a value failing its type can be quarantined as it was:
 * - Parquet is read as typed (`fileRelation`): its types are the writer's;
 * - CSV is read with every column as text (`all_varchar`): a sampled type guess would
 *   make one bad value past the sample abort the whole read;
 * - JSON lines are typed from the whole file (`sample_size=-1`), so a field mixing
 *   numbers and text becomes JSON, which ingestion turns back into text.
 *
 * @example ingestRelation('/in/rides.csv', 'csv') // => read_csv('/in/rides.csv', all_varchar=true, union_by_name=true)
 */
export function ingestRelation(path: string, format: OfflineFileFormat): string {
  const relation = fileRelation(path, format); // resolves directories, refuses a missing path
  const pattern = /^read_\w+\(('(?:[^']|'')*')/.exec(relation)?.[1] ?? quoteLiteral(path);
  switch (format) {
    case 'parquet':
      return relation;
    case 'csv':
      return `read_csv(${pattern}, all_varchar=true, union_by_name=true)`;
    case 'jsonl':
      return `read_json(${pattern}, format='newline_delimited', union_by_name=true, sample_size=-1)`;
  }
}
