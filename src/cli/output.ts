export type OutputFormat = 'table' | 'json';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Prints rows as an aligned table, or the raw value as JSON with `--output json`. */
export function printRows<T>(format: OutputFormat, rows: T[], columns: Column<T>[], raw: unknown = rows): void {
  if (format === 'json') return printJson(raw);
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  process.stdout.write(line(columns.map((c) => c.header.toUpperCase())));
  for (const row of cells) process.stdout.write(line(row));
}

/** Prints one record as `key: value` lines, or JSON. */
export function printRecord(format: OutputFormat, record: Record<string, unknown>, raw: unknown = record): void {
  if (format === 'json') return printJson(raw);
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  for (const [k, v] of Object.entries(record)) process.stdout.write(`${(k + ':').padEnd(width + 1)} ${cell(v)}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
