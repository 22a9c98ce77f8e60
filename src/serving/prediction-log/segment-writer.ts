import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PredictionRecord } from '../contracts.js';
import { writeSegments, type SegmentsWritten } from './segment-files.js';

// Beside this file once built; absent when the sources run as TypeScript (tests), where
// the writer encodes on the calling thread.
const WORKER_FILE = fileURLToPath(new URL('./segment-worker.js', import.meta.url));
const WORKER_BUILT = existsSync(WORKER_FILE);
// Records encoded between two yields to the event loop when encoding on the calling thread.
const SLICE = 64;
// Records cloned to the worker in one message (about a millisecond of this thread's time).
const CHUNK = 256;
// A worker that died this often is not started again: the calling thread encodes instead.
const MAX_WORKER_FAILURES = 3;

interface Waiting {
  resolve: (result: SegmentsWritten) => void;
  reject: (err: Error) => void;
}

/**
 * Writes batches of prediction records as segment files, on a worker thread when one can be
 * started: the JSON encoding of 50 features a prediction is the log's largest cost, and on
 * the serving thread it is taken from answering requests. Records cross by structured clone
 * (a feature matrix is one typed array, cheap to copy). Whatever the worker cannot take (a
 * record that cannot be cloned, a worker that died) is encoded on the calling thread
 * instead, in slices that let the event loop breathe; so `write` never rejects.
 */
export class SegmentWriter {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private failures = 0;
  private closed = false;

  constructor(private readonly options: { worker?: boolean } = {}) {}

  /** Where encoding runs now: `worker`, or `inline` on the calling thread. */
  get mode(): 'worker' | 'inline' {
    return this.canUseWorker() ? 'worker' : 'inline';
  }

  async write(dir: string, records: readonly PredictionRecord[]): Promise<SegmentsWritten> {
    if (this.canUseWorker()) {
      try {
        return await this.viaWorker(dir, records);
      } catch {
        // not cloneable, or the worker died: encode here (a crash mid-batch may leave some
        // of its segments written twice, which the log's readers de-duplicate)
      }
    }
    return writeSegments(dir, records, { every: SLICE, wait: () => new Promise<void>((resolve) => setImmediate(resolve)) });
  }

  /** Stops the worker; later writes encode on the calling thread. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    // anything still waiting is written on this thread instead
    for (const w of this.waiting.values()) w.reject(new Error('the prediction log is closing'));
    this.waiting.clear();
    await worker?.terminate();
  }

  private canUseWorker(): boolean {
    return this.options.worker !== false && !this.closed && this.failures < MAX_WORKER_FAILURES && WORKER_BUILT;
  }

  private async viaWorker(dir: string, records: readonly PredictionRecord[]): Promise<SegmentsWritten> {
    const worker = this.startWorker();
    const id = this.nextId++;
    const answer = new Promise<SegmentsWritten>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    answer.catch(() => undefined); // handled by the caller's await; a rejection between chunks is not "unhandled"
    // held open while it has work, so a last flush at shutdown is not cut short
    worker.ref();
    try {
      // Cloning is done on this thread: in chunks, with a turn of the event loop between
      // them, so that handing over 5,000 predictions never holds requests up for long.
      for (let at = 0; ; at += CHUNK) {
        const last = at + CHUNK >= records.length;
        worker.postMessage({ id, dir, records: records.slice(at, at + CHUNK), last });
        if (last) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!this.waiting.has(id)) break; // the worker died meanwhile: `answer` has rejected
      }
    } catch (err) {
      this.waiting.delete(id);
      this.worker?.postMessage({ id, abort: true });
      throw err;
    }
    return answer;
  }

  private startWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_FILE);
    worker.unref();
    worker.on('message', ({ id, result }: { id: number; result: SegmentsWritten }) => {
      const waiting = this.waiting.get(id);
      this.waiting.delete(id);
      if (this.waiting.size === 0) worker.unref();
      waiting?.resolve(result);
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failures++;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the prediction log's encoding thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
