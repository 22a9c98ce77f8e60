import cliProgress from 'cli-progress';

/** Progress of a long job: a bar on a terminal, plain throttled lines otherwise (CI logs, pipes). */
export interface Progress {
  start(label: string, total: number | undefined): void;
  update(done: number, detail: string): void;
  stop(summary: string): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | undefined;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(label: string, total: number | undefined): void {
    this.bar = new cliProgress.SingleBar(
      { stream: this.stream, format: `${label} [{bar}] {percentage}% | {value}/{total} rows | {detail}`, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total ?? 0, 0, { detail: '' });
  }

  update(done: number, detail: string): void {
    if (this.bar && this.bar.getTotal() < done) this.bar.setTotal(done);
    this.bar?.update(done, { detail });
  }

  stop(summary: string): void {
    this.bar?.stop();
    this.stream.write(summary + '\n');
  }
}

class LineProgress implements Progress {
  private label = '';
  private total: number | undefined;
  private last = 0;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(label: string, total: number | undefined): void {
    this.label = label;
    this.total = total;
    this.last = 0;
    this.stream.write(`${label}: started${total !== undefined ? ` (${total.toLocaleString('en-US')} rows)` : ''}\n`);
  }

  update(done: number, detail: string): void {
    const now = Date.now();
    if (now - this.last < 2_000) return; // a line every 2 s at most
    this.last = now;
    const pct = this.total ? ` (${Math.floor((100 * done) / this.total)}%)` : '';
    this.stream.write(`${this.label}: ${done.toLocaleString('en-US')} rows${pct}, ${detail}\n`);
  }

  stop(summary: string): void {
    this.stream.write(summary + '\n');
  }
}
