import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { InputError, NotFoundError, UnavailableError } from '../../core/errors/index.js';
import { WORKER_SOURCE } from './worker-source.js';

/** Tensor element types ONNX Runtime's Node binding accepts. */
export type TensorType = 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool' | 'string' | 'float16';

export type TensorArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** A tensor crossing the thread boundary: typed data (transferred, not copied), row-major. */
export interface Tensor {
  type: TensorType;
  data: TensorArray | string[];
  dims: number[];
}

export interface LoadedModel {
  key: string;
  inputs: string[];
  outputs: string[];
  /** the model file's size, a floor for the memory it holds in each worker */
  bytes: number;
  loadedAt: number;
  lastUsedAt: number;
}

export interface OnnxWorkerPoolOptions {
  /** worker threads (default: 1; more only pays with more cores than ORT's own threads use) */
  workers?: number;
  /** ORT intra-op threads per session (default 1: the pool gives parallelism across requests) */
  intraOpThreads?: number;
  /** e.g. ['cuda', 'cpu'] where the machine has them; default CPU */
  executionProviders?: string[];
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface WorkerSlot {
  worker: Worker;
  inFlight: number;
  pending: Map<number, Pending>;
}

/**
 * ONNX Runtime off the event loop. `InferenceSession.run` in the Node binding does its
 * native work synchronously on the calling thread, so every session lives in a pool of
 * `worker_threads`; requests go to the least busy worker, and tensors move as
 * transferable buffers. Each loaded model is loaded in every worker, so any worker can
 * answer for it.
 */
export class OnnxWorkerPool {
  private readonly slots: WorkerSlot[] = [];
  private readonly models = new Map<string, LoadedModel>();
  private nextId = 1;
  private closed = false;

  constructor(options: OnnxWorkerPoolOptions = {}) {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const sessionOptions = {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      executionProviders: options.executionProviders ?? ['cpu'],
      graphOptimizationLevel: 'all',
    };
    for (let i = 0; i < Math.max(1, options.workers ?? 1); i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, sessionOptions } });
      const slot: WorkerSlot = { worker, inFlight: 0, pending: new Map() };
      worker.on('message', (msg: { id: number; ok: boolean; value?: unknown; code?: string; message?: string }) => {
        const p = slot.pending.get(msg.id);
        if (!p) return;
        slot.pending.delete(msg.id);
        slot.inFlight--;
        if (msg.ok) p.resolve(msg.value);
        else p.reject(toError(msg.code ?? 'FALAJ_INFERENCE_FAILED', msg.message ?? 'inference failed'));
      });
      worker.on('error', (err) => this.failAll(slot, err));
      worker.on('exit', (code) => this.failAll(slot, new Error(`inference worker exited with code ${code}`)));
      worker.unref();
      this.slots.push(slot);
    }
  }

  /** Loads (or replaces) a model in every worker and warms it up with one inference when its inputs allow. */
  async load(key: string, bytes: Uint8Array, warmUp?: Record<string, Tensor>): Promise<LoadedModel> {
    const results = await Promise.all(this.slots.map((slot) => this.call<{ inputs: string[]; outputs: string[] }>(slot, { op: 'load', key, bytes: new Uint8Array(bytes) })));
    const { inputs, outputs } = results[0]!;
    const now = Date.now();
    const model: LoadedModel = { key, inputs, outputs, bytes: bytes.byteLength, loadedAt: now, lastUsedAt: now };
    this.models.set(key, model);
    if (warmUp) await Promise.all(this.slots.map((slot) => this.call(slot, { op: 'infer', key, feeds: cloneFeeds(warmUp) })));
    return model;
  }

  async unload(key: string): Promise<void> {
    this.models.delete(key);
    await Promise.all(this.slots.map((slot) => this.call(slot, { op: 'unload', key })));
  }

  /** Runs the model on the least busy worker. The feeds' buffers are transferred (unusable afterwards). */
  async infer(key: string, feeds: Record<string, Tensor>, outputs?: string[]): Promise<Record<string, Tensor>> {
    const model = this.models.get(key);
    if (!model) throw new NotFoundError('FALAJ_MODEL_NOT_LOADED', `model ${key} is not loaded`);
    model.lastUsedAt = Date.now();
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const transfer = Object.values(feeds).flatMap((t) => (Array.isArray(t.data) ? [] : [t.data.buffer as ArrayBuffer]));
    return this.call(slot, { op: 'infer', key, feeds, outputs: outputs ?? null }, transfer);
  }

  /** Models loaded, with when each was last used (for unloading idle ones). */
  loaded(): LoadedModel[] {
    return [...this.models.values()];
  }

  /** Unloads every model not used for `idleMs`; returns their keys. */
  async unloadIdle(idleMs: number, now = Date.now()): Promise<string[]> {
    const idle = this.loaded().filter((m) => now - m.lastUsedAt >= idleMs).map((m) => m.key);
    for (const key of idle) await this.unload(key);
    return idle;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private call<T>(slot: WorkerSlot, message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('FALAJ_UNAVAILABLE', 'the inference pool is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      slot.inFlight++;
      slot.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private failAll(slot: WorkerSlot, err: Error): void {
    for (const p of slot.pending.values()) p.reject(this.closed ? new UnavailableError('FALAJ_UNAVAILABLE', 'the inference pool is closed') : err);
    slot.pending.clear();
    slot.inFlight = 0;
  }
}

function toError(code: string, message: string): Error {
  if (code === 'FALAJ_MODEL_NOT_LOADED') return new NotFoundError('FALAJ_MODEL_NOT_LOADED', message);
  // ORT's own messages for a wrong input name, type or shape
  return new InputError('FALAJ_INFERENCE_FAILED', message);
}

function cloneFeeds(feeds: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { ...t, data: Array.isArray(t.data) ? [...t.data] : t.data.slice() }]));
}
