import type { FastifyReply } from 'fastify';
import type { Metric } from '../tracking.types.js';

/** A metric as sent: NaN and ±Infinity arrive as strings; no timestamp means "now". */
export function metricFromWire(m: { key: string; value: number | string; step?: number | undefined; timestamp?: number | undefined }, now: number): Metric {
  return { key: m.key, value: typeof m.value === 'string' ? Number(m.value) : m.value, step: m.step ?? 0, timestamp: m.timestamp ?? now };
}

// JSON has no NaN or Infinity: they travel as the strings "NaN", "Infinity", "-Infinity".
const nonFinite = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value);

/**
 * Sends an answer holding metric values, serialised here rather than by the response
 * schema: its value union (number or string) would make fast-json-stringify validate
 * every one of a search page's metrics against both branches.
 */
export function sendWithMetrics(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.status(status).type('application/json').send(JSON.stringify(body, nonFinite) as never); // already JSON: sent as is
}
