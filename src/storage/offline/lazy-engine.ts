import { DuckDbEngine, type DuckDbEngineOptions } from './duckdb-engine.js';

/**
 * Starts DuckDB on first use, not at server start: a platform that only serves online
 * features or tracks experiments never pays for the offline engine's memory.
 */
export class LazyDuckDbEngine {
  private engine: Promise<DuckDbEngine> | undefined;

  constructor(private readonly options: DuckDbEngineOptions) {}

  get(): Promise<DuckDbEngine> {
    this.engine ??= DuckDbEngine.create(this.options).catch((err) => {
      this.engine = undefined; // a failed start is retried on the next use
      throw err;
    });
    return this.engine;
  }

  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    if (engine) await (await engine.catch(() => undefined))?.close();
  }
}
