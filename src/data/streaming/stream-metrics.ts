import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const LABELS = ['project', 'source'] as const;

/** Prometheus metrics of stream ingestion: throughput, freshness, dead letters, lag. */
export function createStreamMetrics(registry: Registry, lag: () => { project: string; source: string; lag: number | null }[]) {
  const ingested = new Counter({ name: 'falaj_stream_rows_total', help: 'Stream messages ingested (written offline and online, then acknowledged)', labelNames: LABELS, registers: [registry] });
  const deadLetters = new Counter({ name: 'falaj_stream_dead_letters_total', help: 'Stream messages set aside as dead letters (not JSON, or failing the source contract)', labelNames: LABELS, registers: [registry] });
  const freshness = new Histogram({
    name: 'falaj_stream_freshness_seconds',
    help: 'From a row\'s event time to its value being readable online',
    labelNames: LABELS,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const flushSeconds = new Histogram({ name: 'falaj_stream_flush_seconds', help: 'Time to write one buffered batch offline and online and acknowledge it', labelNames: LABELS, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  new Gauge({
    name: 'falaj_stream_lag_messages',
    help: 'Messages in the stream not yet delivered to the consumer group (as the broker reports it)',
    labelNames: LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const l of lag()) if (l.lag !== null) this.set({ project: l.project, source: l.source }, l.lag);
    },
  });
  return { ingested, deadLetters, freshness, flushSeconds };
}

export type StreamMetrics = ReturnType<typeof createStreamMetrics>;
