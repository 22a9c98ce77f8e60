import { NotFoundError, InputError } from '../../core/errors/index.js';
import { readOnnxSignature, type ModelRegistry } from '../../registry/index.js';
import { SYSTEM_PRINCIPAL } from '../../security/index.js';
import type { InferFn, TensorSpec } from '../contracts.js';
import { isServableVersion, onnxFileOf } from '../deployments/servable-version.js';
import { tensorSpecsFrom } from '../oip/index.js';
import type { OnnxWorkerPool, Tensor } from '../runtime/index.js';
import { warmUpFeeds } from './warm-up.js';

/** A model version loaded in the runtime, ready to answer. */
export interface ServedModel {
  key: string;
  project: string;
  model: string;
  version: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** the columns of a single 2-D input, in order (the built-in trainer's `falaj.feature_names`) */
  featureNames: string[] | null;
  /** the feature service the version was trained on (its lineage) */
  featureService: { name: string; version: number } | null;
  /** runs the model on the worker pool (each deployment puts its own batcher in front) */
  infer: InferFn;
  /** the ONNX file's size */
  bytes: number;
  /** growth of the process's resident memory while it loaded (all workers), a measure not a bound */
  memoryBytes: number;
  loadedAt: number;
  lastUsedAt: number;
}

export interface ServedModelsOptions {
  /** observes each batch's rows (a metric) */
  onBatch?: (model: ServedModel, rows: number) => void;
}

/**
 * The model versions this replica serves. A version is loaded on first need, after the
 * registry verifies its signature and its file's digest (`openVersionFile` refuses a
 * tampered file), then warmed up; concurrent requests for one version share one load.
 */
export class ServedModels {
  private readonly models = new Map<string, ServedModel>();
  private readonly loading = new Map<string, Promise<ServedModel>>();

  constructor(
    /** the runtime, started on first use (its worker threads cost start-up time a replica with no deployment need not pay) */
    private readonly runtime: () => OnnxWorkerPool,
    private readonly registry: ModelRegistry,
    private readonly options: ServedModelsOptions,
  ) {}

  static key(project: string, model: string, version: number): string {
    return `${project}/${model}/${version}`;
  }

  get(project: string, model: string, version: number): ServedModel | undefined {
    return this.models.get(ServedModels.key(project, model, version));
  }

  list(): ServedModel[] {
    return [...this.models.values()];
  }

  /** The loaded version, loading it first if needed. */
  async ensure(project: string, model: string, version: number): Promise<ServedModel> {
    const key = ServedModels.key(project, model, version);
    const loaded = this.models.get(key);
    if (loaded) return loaded;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(key, project, model, version).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Unloads versions no deployment routes to any more, once idle for `idleMs`. */
  async retain(keep: ReadonlySet<string>, idleMs: number, now = Date.now()): Promise<string[]> {
    const gone = this.list().filter((m) => !keep.has(m.key) && now - m.lastUsedAt >= idleMs).map((m) => m.key);
    for (const key of gone) {
      this.models.delete(key);
      await this.runtime().unload(key);
    }
    return gone;
  }

  private async load(key: string, project: string, model: string, version: number): Promise<ServedModel> {
    const info = await this.registry.getVersion(project, model, version);
    const problem = isServableVersion(info);
    if (problem) throw new InputError('FALAJ_MODEL_NOT_SERVABLE', problem);
    const file = onnxFileOf(info)!;
    const ctx = { principal: SYSTEM_PRINCIPAL, requestId: `serving-load-${key}` };
    const { stream } = await this.registry.openVersionFile(ctx, project, model, version, file);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const bytes = new Uint8Array(Buffer.concat(chunks));
    const signature = await readOnnxSignature(bytes);
    const inputs = tensorSpecsFrom(signature.inputs);
    const outputs = tensorSpecsFrom(signature.outputs);
    const featureNames = parseFeatureNames(signature.metadata?.['falaj.feature_names'], inputs);
    const rssBefore = process.memoryUsage().rss;
    await this.runtime().load(key, bytes, warmUpFeeds(inputs));
    const memoryBytes = Math.max(0, process.memoryUsage().rss - rssBefore);
    const now = Date.now();
    const served: ServedModel = {
      key, project, model, version, inputs, outputs, featureNames,
      featureService: info.lineage.featureService,
      infer: async () => { throw new NotFoundError('FALAJ_MODEL_NOT_LOADED', key); },
      bytes: bytes.byteLength, memoryBytes, loadedAt: now, lastUsedAt: now,
    };
    served.infer = (feeds) => {
      served.lastUsedAt = Date.now();
      this.options.onBatch?.(served, batchRows(feeds));
      return this.runtime().infer(served.key, feeds);
    };
    this.models.set(key, served);
    return served;
  }
}

function batchRows(feeds: Record<string, Tensor>): number {
  const first = Object.values(feeds)[0];
  return first?.dims[0] ?? 1;
}


/** `falaj.feature_names` when it describes the model's one 2-D input, else null. */
function parseFeatureNames(text: string | undefined, inputs: readonly TensorSpec[]): string[] | null {
  if (!text || inputs.length !== 1 || inputs[0]!.shape.length !== 2) return null;
  try {
    const names = JSON.parse(text) as unknown;
    if (Array.isArray(names) && names.every((n) => typeof n === 'string')) {
      const width = inputs[0]!.shape[1]!;
      return width === -1 || width === names.length ? (names as string[]) : null;
    }
  } catch {
    // not ours: fall through
  }
  return null;
}
