import { DuckDbEngine, quoteIdent, quoteLiteral } from '../../storage/offline/index.js';
import { trainingSetInvalid, isTimeColumn, selectFeatureColumns, type TrainingColumn } from './feature-columns.js';
import type { ResolvedTrainerSpec } from './spec.js';

/** A training set in memory, as the trainer consumes it. */
export interface TabularDataset {
  featureNames: string[];
  rows: number;
  /** `rows × featureNames.length`, row-major; NaN where a value is null (booleans are 0/1) */
  x: Float64Array;
  /** the label per row (binary: 0 or 1) */
  y: Float64Array;
  /** epoch milliseconds per row when the set has an `event_timestamp`; rows are then in time order */
  timestamps?: Float64Array | undefined;
  /** rows dropped because their label was null (or NaN) */
  droppedNullLabels: number;
  /** labelled rows before `maxRows` sampling */
  labelledRows: number;
}

/**
 * Reads a Parquet training set (as the feature store builds it) into typed arrays with
 * DuckDB: the features the spec names (or every numeric/boolean column but the label and
 * timestamps), the label, and `event_timestamp` when present. Rows with a null label are
 * dropped and counted. With `event_timestamp` the rows come back in time order (ties by
 * file position), else in file order. `maxRows` keeps a deterministic hash sample.
 *
 * @throws UnprocessableError `FALAJ_TRAINING_SET_INVALID` for a missing label, non-numeric
 *   features, a binary label with values other than 0/1, or no labelled rows
 * @throws UnprocessableError `FALAJ_OFFLINE_QUERY_FAILED` when DuckDB cannot read the file
 */
export async function loadTrainingData(path: string, spec: ResolvedTrainerSpec, options: { engine?: DuckDbEngine } = {}): Promise<TabularDataset> {
  const engine = options.engine ?? (await DuckDbEngine.create({ threads: 2 }));
  try {
    const file = `read_parquet(${quoteLiteral(path)}, file_row_number = true)`;
    const described = await engine.query(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(path)})`);
    const columns: TrainingColumn[] = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const featureNames = selectFeatureColumns(columns, spec);
    const timeColumn = columns.find((c) => c.name === 'event_timestamp' && isTimeColumn(c.type));

    const label = `CAST(${quoteIdent(spec.label)} AS DOUBLE)`;
    const [stats] = await engine.query(
      `SELECT count(*) AS total,
              count(*) FILTER (WHERE ${label} IS NULL OR isnan(${label})) AS dropped,
              count(*) FILTER (WHERE ${label} IS NOT NULL AND NOT isnan(${label}) AND ${label} NOT IN (0, 1)) AS not_binary
       FROM ${file}`,
    );
    const labelledRows = Number(stats!.total) - Number(stats!.dropped);
    if (spec.task === 'binary' && Number(stats!.not_binary) > 0) {
      throw trainingSetInvalid(`the binary label "${spec.label}" has ${stats!.not_binary} value(s) other than 0 and 1; use a BOOLEAN or 0/1 column, or task: regression`);
    }
    if (labelledRows < 2) throw trainingSetInvalid(`the training set has ${labelledRows} row(s) with a label; at least 2 are needed`);
    const rows = spec.maxRows === undefined ? labelledRows : Math.min(spec.maxRows, labelledRows);

    const select = [
      ...featureNames.map((name, i) => `CAST(${quoteIdent(name)} AS DOUBLE) AS f${i}`),
      `${label} AS y`,
      ...(timeColumn ? ['CAST(epoch_ms(CAST(event_timestamp AS TIMESTAMP)) AS DOUBLE) AS ts'] : []),
    ];
    const labelled = `SELECT * FROM ${file} WHERE ${label} IS NOT NULL AND NOT isnan(${label})`;
    // a sample by a hash of the file position: the same rows on every attempt, whatever the thread count
    const sampled = rows < labelledRows ? `SELECT * FROM (${labelled}) ORDER BY hash(file_row_number, ${spec.seed}), file_row_number LIMIT ${rows}` : labelled;
    const order = timeColumn ? 'event_timestamp ASC NULLS FIRST, file_row_number' : 'file_row_number';
    const sql = `SELECT ${select.join(', ')} FROM (${sampled}) ORDER BY ${order}`;

    const width = featureNames.length;
    const x = new Float64Array(rows * width);
    const y = new Float64Array(rows);
    const timestamps = timeColumn ? new Float64Array(rows) : undefined;
    let row = 0;
    await engine.withConnection(async (connection) => {
      const result = await connection.stream(sql);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        const count = chunk.rowCount;
        if (row + count > rows) throw trainingSetInvalid(`the training set changed while it was read (more than ${rows} rows)`);
        for (let j = 0; j < width; j++) {
          const values = chunk.getColumnValues(j) as (number | null)[];
          for (let r = 0; r < count; r++) x[(row + r) * width + j] = values[r] ?? Number.NaN;
        }
        const labels = chunk.getColumnValues(width) as number[];
        for (let r = 0; r < count; r++) y[row + r] = labels[r]!;
        if (timestamps) {
          const times = chunk.getColumnValues(width + 1) as (number | null)[];
          for (let r = 0; r < count; r++) timestamps[row + r] = times[r] ?? Number.NaN;
        }
        row += count;
      }
    });
    if (row !== rows) throw trainingSetInvalid(`expected ${rows} rows but read ${row}: the training set changed while it was read`);
    return { featureNames, rows, x, y, timestamps, droppedNullLabels: Number(stats!.dropped), labelledRows };
  } finally {
    if (!options.engine) await engine.close();
  }
}
