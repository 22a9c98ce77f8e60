import { UnavailableError } from '../../core/errors/index.js';
import type { RunEvent } from './lineage-event.js';

export interface LineageForwarderOptions {
  /** the OpenLineage HTTP endpoint, e.g. `http://marquez:5000/api/v1/lineage` */
  url: string;
  /** sent as `Authorization: Bearer <apiKey>`, as OpenLineage clients do */
  apiKey?: string | undefined;
  /** per request (default 5000) */
  timeoutMs?: number;
  /** events waiting at most; past it the oldest is dropped (default 1000) */
  maxQueue?: number;
  /** tries per event before it is dropped (default 5) */
  maxAttempts?: number;
  /** wait before the first retry, doubled each time up to a minute (default 1000) */
  retryDelayMs?: number;
  /** warnings: the endpoint failing, events dropped. Never given the api key. */
  onError?: (err: Error) => void;
}

/** Counts since start. */
export interface ForwarderStats {
  queued: number;
  sent: number;
  dropped: number;
  failedAttempts: number;
}

/**
 * Sends run events to an OpenLineage endpoint in the background, in order, one at a
 * time. `enqueue` never blocks or throws: the endpoint being slow or down costs the
 * caller nothing. A failed send (network error, timeout, 408/429/5xx) is retried with
 * growing delays; an event refused outright (another 4xx) or out of tries is dropped with
 * a warning, as is the oldest waiting event when the queue is full. Events live only in
 * memory: a process that stops loses the ones not yet sent (they stay in the metadata
 * database, where `GET …/lineage/events` shows them).
 */
export class LineageForwarder {
  private readonly queue: RunEvent[] = [];
  private current: RunEvent | undefined;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  private failing = false;
  private droppedInStreak = 0;
  private readonly counts = { sent: 0, dropped: 0, failedAttempts: 0 };
  private readonly o: Required<Omit<LineageForwarderOptions, 'apiKey' | 'onError'>> & Pick<LineageForwarderOptions, 'apiKey' | 'onError'>;
  private readonly where: string;

  constructor(options: LineageForwarderOptions) {
    this.o = { timeoutMs: 5000, maxQueue: 1000, maxAttempts: 5, retryDelayMs: 1000, ...options };
    this.where = describeUrl(options.url);
  }

  /** Queues an event for sending. */
  enqueue(event: RunEvent): void {
    if (this.closed) return;
    if (this.queue.length >= this.o.maxQueue) {
      this.queue.shift();
      this.drop(`the queue of ${this.o.maxQueue} events waiting for ${this.where} is full; the oldest was dropped`);
    }
    this.queue.push(event);
    this.pump();
  }

  stats(): ForwarderStats {
    return { queued: this.queue.length + (this.current ? 1 : 0), ...this.counts };
  }

  /** Resolves once nothing is waiting or in flight (true), or after `timeoutMs` (false). */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.current || this.queue.length) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  /** Stops: waits for a send in flight, then discards what is left (with a warning if anything is). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.sending;
    const left = this.queue.length + (this.current ? 1 : 0);
    this.queue.length = 0;
    this.current = undefined;
    if (left) this.warn(`${left} lineage event${left === 1 ? ' was' : 's were'} not forwarded to ${this.where} before shutdown`);
  }

  private pump(): void {
    if (this.sending || this.timer || this.closed) return;
    this.current ??= this.queue.shift();
    if (!this.current) return;
    const event = this.current;
    this.sending = this.send(event).then(
      () => this.succeeded(),
      (err: unknown) => this.failed(err),
    ).finally(() => {
      this.sending = undefined;
      this.pump();
    });
  }

  private async send(event: RunEvent): Promise<void> {
    const res = await fetch(this.o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}) },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined); // drain, so the connection is reused
    if (!res.ok) throw new HttpStatusError(res.status);
  }

  private succeeded(): void {
    this.counts.sent++;
    this.current = undefined;
    this.attempts = 0;
    if (this.failing) {
      this.failing = false;
      this.warn(`lineage forwarding to ${this.where} works again${this.droppedInStreak ? `; ${this.droppedInStreak} event(s) were dropped meanwhile` : ''}`);
      this.droppedInStreak = 0;
    }
  }

  private failed(err: unknown): void {
    this.counts.failedAttempts++;
    this.attempts++;
    const reason = err instanceof HttpStatusError ? `HTTP ${err.status}` : (err as Error)?.name === 'TimeoutError' ? `no answer in ${this.o.timeoutMs} ms` : String((err as Error)?.message ?? err);
    const permanent = err instanceof HttpStatusError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
    if (permanent || this.attempts >= this.o.maxAttempts) {
      this.current = undefined;
      this.attempts = 0;
      this.drop(`${this.where} answered ${reason}${permanent ? ' (the event was refused)' : ` after ${this.o.maxAttempts} tries`}; the event was dropped`);
      return;
    }
    if (this.closed) return;
    if (!this.failing) {
      this.failing = true;
      this.warn(`lineage forwarding to ${this.where} failed (${reason}); retrying`);
    }
    const delay = Math.min(this.o.retryDelayMs * 2 ** (this.attempts - 1), 60_000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delay);
    this.timer.unref();
  }

  private drop(reason: string): void {
    this.counts.dropped++;
    this.droppedInStreak++;
    this.failing = true;
    // the first drop of a streak warns, then every hundredth; recovery sums them up
    if (this.droppedInStreak === 1 || this.droppedInStreak % 100 === 0) {
      this.warn(`lineage event dropped (${this.droppedInStreak} so far): ${reason}`);
    }
  }

  private warn(message: string): void {
    try {
      this.o.onError?.(new UnavailableError('FALAJ_LINEAGE_FORWARD_FAILED', message));
    } catch {
      // a failing warning sink must not stop forwarding
    }
  }
}

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** The endpoint without credentials or query, safe to put in a warning. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the lineage endpoint';
  }
}
