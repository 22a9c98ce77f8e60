import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ServedModel } from './live/served-models.js';

const LABELS = ['deployment', 'model', 'version', 'variant', 'status'] as const;

/** Prometheus metrics of the serving role, in the app's registry. */
export function createServingMetrics(registry: Registry, models: () => ServedModel[]) {
  const predictions = new Counter({ name: 'falaj_predictions_total', help: 'Prediction requests answered, by deployment, model, version, variant and status (ok|error|shadow_ok|shadow_error)', labelNames: LABELS, registers: [registry] });
  const rows = new Counter({ name: 'falaj_predicted_rows_total', help: 'Rows predicted (a request may carry several)', labelNames: ['deployment', 'model', 'version', 'variant'] as const, registers: [registry] });
  const latency = new Histogram({
    name: 'falaj_prediction_duration_seconds',
    help: 'Prediction latency inside the server (feature lookup, batching wait, inference), by deployment, model, version, variant and status',
    labelNames: LABELS,
    buckets: [0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const batchRows = new Histogram({ name: 'falaj_inference_batch_rows', help: 'Rows per inference batch sent to ONNX Runtime, by model and version', labelNames: ['model', 'version'] as const, buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: [registry] });
  const shadowSkipped = new Counter({ name: 'falaj_shadow_skipped_total', help: 'Mirrored requests not sent because too many were in flight (the primary is never slowed)', labelNames: ['deployment', 'variant'] as const, registers: [registry] });
  new Gauge({
    name: 'falaj_model_memory_bytes',
    help: 'Loaded model versions: resident memory growth measured when each loaded (kind=resident) and ONNX file size (kind=file)',
    labelNames: ['project', 'model', 'version', 'kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const m of models()) {
        this.set({ project: m.project, model: m.model, version: String(m.version), kind: 'resident' }, m.memoryBytes);
        this.set({ project: m.project, model: m.model, version: String(m.version), kind: 'file' }, m.bytes);
      }
    },
  });
  return { predictions, rows, latency, batchRows, shadowSkipped };
}

export type ServingMetrics = ReturnType<typeof createServingMetrics>;
