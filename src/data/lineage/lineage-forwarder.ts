import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { UnavailableError } from '../../core/errors/index.js';
import { acquireLease, releaseLease, type Db, type DbOrTx } from '../../storage/metadata/index.js';
import * as outbox from './lineage-outbox.repository.js';

const LEASE = 'lineage-forwarder';
/** outbox rows read per query; sent one at a time, in order */
const BATCH = 20;
/** answers that say the endpoint, not the event, is failing: waited out, never counted against the event */
const OUTAGE_STATUSES = new Set([408, 429, 502, 503, 504]);

export interface LineageForwarderOptions {
  /** the OpenLineage HTTP endpoint, e.g. `http://marquez:5000/api/v1/lineage` */
  url: string;
  /** sent as `Authorization: Bearer <apiKey>`, as OpenLineage clients do */
  apiKey?: string | undefined;
  /** per request (default 5000) */
  timeoutMs?: number;
  /**
   * answers failing one event while the endpoint is up (HTTP 500 and the like) before the
   * event is dropped (default 5). An unreachable, silent or overloaded endpoint (network
   * errors, timeouts, 408, 429, 502–504) is retried for as long as it takes, events in order.
   */
  maxAttempts?: number;
  /** wait before the first retry, doubled each time up to a minute (default 1000) */
  retryDelayMs?: number;
  /**
   * ms between looks at the outbox (default 2000): how soon events stored by another
   * replica, or left by a process that stopped, are sent, and how often the lease is renewed
   */
  pollMs?: number;
  /** warnings: the endpoint failing, events dropped. Never given the api key. */
  onError?: (err: Error) => void;
}

/** `queued`: events in the outbox (every replica's); the other counts are this process's since start. */
export interface ForwarderStats {
  queued: number;
  sent: number;
  dropped: number;
  failedAttempts: number;
}

/**
 * Sends run events to an OpenLineage endpoint in the background, in order, one at a time,
 * from the outbox in the metadata database (`lineage_outbox`, filled by {@link enqueue} in
 * the transaction that stores each event). A stored event is therefore forwarded even if
 * the process stops or crashes first: whichever process holds the `lineage-forwarder`
 * lease next sends it. One replica at a time holds that lease; the others only store, and
 * take over within a lease term when the holder dies, or at their next poll when it closes.
 *
 * Delivery is at least once: a process that dies between the endpoint's answer and the
 * row's deletion sends that event again after the restart.
 *
 * A failed send is retried with growing delays (up to a minute), and later events wait
 * behind it (order is kept). An endpoint that is down or overloaded (network error,
 * timeout, 408, 429, 502–504) is waited for however long it takes; an event refused
 * outright (another 4xx), or failed `maxAttempts` times by an endpoint that is up (a 500),
 * is dropped with a warning. The outbox has no size cap: its rows are small,
 * the events themselves are in `lineage_events` anyway, and a cap would drop accepted
 * events during a long outage. Backoff and the lease use the wall clock, as timers do.
 *
 * @example
 * const forwarder = new LineageForwarder(db, { url: 'http://marquez:5000/api/v1/lineage' });
 * await db.transaction().execute(async (tx) => {
 *   await insertEvent(tx, row);
 *   await forwarder.enqueue(tx, row.id);
 * });
 * forwarder.poke();
 */
export class LineageForwarder {
  private readonly holder = `lineage-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly poll: NodeJS.Timeout;
  private wake: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private leader = false;
  private leaseRenewedAt = 0;
  private failing = false;
  private droppedInStreak = 0;
  private databaseFailing = false;
  private readonly counts = { sent: 0, dropped: 0, failedAttempts: 0 };
  private readonly o: Required<Omit<LineageForwarderOptions, 'apiKey' | 'onError'>> & Pick<LineageForwarderOptions, 'apiKey' | 'onError'>;
  private readonly where: string;
  private readonly leaseTtlMs: number;

  constructor(
    private readonly db: Kysely<Db>,
    options: LineageForwarderOptions,
  ) {
    this.o = { timeoutMs: 5000, maxAttempts: 5, retryDelayMs: 1000, pollMs: 2000, ...options };
    this.where = describeUrl(options.url);
    // Renewed before a send once a third of it has passed, so a send that takes its whole
    // timeout still ends inside the term.
    this.leaseTtlMs = Math.max(15_000, 3 * this.o.timeoutMs, 3 * this.o.pollMs);
    this.poll = setInterval(() => this.run(), this.o.pollMs);
    this.poll.unref();
    // events a stopped process left behind go out without waiting for the first poll
    this.run();
  }

  /** Adds a stored event to the outbox, inside the transaction that stores it. Call {@link poke} once it commits. */
  async enqueue(tx: DbOrTx, eventId: string): Promise<void> {
    await outbox.addToOutbox(tx, { eventId, createdAt: new Date().toISOString() });
  }

  /**
   * A new event is in the outbox: send it now if this replica forwards. Another replica
   * forwarding sees it at its next poll.
   */
  poke(): void {
    if (this.leader) this.run();
  }

  async stats(): Promise<ForwarderStats> {
    return { queued: await outbox.countOutbox(this.db), ...this.counts };
  }

  /**
   * Resolves true once the outbox is empty and this process sends nothing, or false after
   * `timeoutMs`. An event waiting for a retry keeps it waiting, as does one no live
   * replica forwards.
   */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running && (await outbox.countOutbox(this.db)) === 0 && !this.running) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Stops: waits for a send in flight, then gives the lease back so another replica takes
   * over at its next poll. Events not sent stay in the outbox, for the next process to send.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.wake);
    await this.running;
    if (this.leader) {
      this.leader = false;
      await releaseLease(this.db, LEASE, this.holder).catch(() => undefined);
    }
  }

  /** Starts a pass over the outbox, or asks the one running for another (coalesced). */
  private run(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.run();
      }
    });
  }

  /** Sends what is due, oldest first, until the outbox is empty, its head waits for a retry, or this replica loses the lease. */
  private async pass(): Promise<void> {
    try {
      if (await this.holdsLease()) await this.sendDue();
      if (this.databaseFailing) {
        this.databaseFailing = false;
        this.warn(`lineage forwarding to ${this.where} resumed: the metadata database answers again`);
      }
    } catch (err) {
      // the database failed, not the endpoint: the rows stay where they are and the next poll tries again
      if (!this.databaseFailing) {
        this.databaseFailing = true;
        this.warn(`lineage forwarding to ${this.where} paused: the metadata database failed (${(err as Error)?.message ?? String(err)}); retrying`);
      }
    }
  }

  private async sendDue(): Promise<void> {
    while (!this.closed) {
      const head = await outbox.outboxHead(this.db, BATCH);
      if (head.length === 0) return;
      for (const entry of head) {
        if (this.closed) return;
        const wait = Date.parse(entry.nextAttemptAt) - Date.now();
        if (wait > 0) {
          // order is kept: what comes after waits behind it
          this.wakeIn(wait);
          return;
        }
        if (!(await this.holdsLease())) return;
        if (!(await this.forward(entry))) break; // it waits for a retry now: read the head again
      }
    }
  }

  /** Whether this replica forwards: renews the lease once a third of its term has passed, takes it when free. */
  private async holdsLease(): Promise<boolean> {
    const now = new Date();
    if (this.leader && now.getTime() - this.leaseRenewedAt < this.leaseTtlMs / 3) return true;
    this.leader = await acquireLease(this.db, LEASE, this.holder, this.leaseTtlMs, now);
    if (this.leader) this.leaseRenewedAt = now.getTime();
    return this.leader;
  }

  /** Sends one event and settles its row; true when it left the outbox. */
  private async forward(entry: outbox.OutboxEntry): Promise<boolean> {
    try {
      await this.send(entry.event);
    } catch (err) {
      return this.failed(entry, err);
    }
    this.succeeded();
    await outbox.removeFromOutbox(this.db, entry.eventId);
    return true;
  }

  private async send(body: string): Promise<void> {
    const res = await fetch(this.o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}) },
      body,
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined); // drain, so the connection is reused
    if (!res.ok) throw new HttpStatusError(res.status);
  }

  private succeeded(): void {
    this.counts.sent++;
    if (this.failing) {
      this.failing = false;
      this.warn(`lineage forwarding to ${this.where} works again${this.droppedInStreak ? `; ${this.droppedInStreak} event(s) were dropped meanwhile` : ''}`);
      this.droppedInStreak = 0;
    }
  }

  private async failed(entry: outbox.OutboxEntry, err: unknown): Promise<boolean> {
    this.counts.failedAttempts++;
    const attempts = entry.attempts + 1;
    const status = err instanceof HttpStatusError ? err.status : undefined;
    const reason = status !== undefined ? `HTTP ${status}` : (err as Error)?.name === 'TimeoutError' ? `no answer in ${this.o.timeoutMs} ms` : String((err as Error)?.message ?? err);
    const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
    // an endpoint that is down, overloaded or behind a failing proxy is waited for, however
    // long: the event stays first in line. Only an answer that fails this event (a 500 while
    // the endpoint is up) counts towards maxAttempts, so one bad event cannot block the rest.
    const outage = status === undefined || OUTAGE_STATUSES.has(status);
    const refusals = entry.refusals + (outage ? 0 : 1);
    if (permanent || refusals >= this.o.maxAttempts) {
      await outbox.removeFromOutbox(this.db, entry.eventId);
      this.drop(`${this.where} answered ${reason}${permanent ? ' (the event was refused)' : ` after ${this.o.maxAttempts} tries`}; the event was dropped`);
      return true;
    }
    const delay = Math.min(this.o.retryDelayMs * 2 ** (attempts - 1), 60_000);
    // the URL's credentials or query never reach the reason: fetch errors name no URL, and HTTP errors only the status
    await outbox.deferOutboxEntry(this.db, entry.eventId, { attempts, refusals, nextAttemptAt: new Date(Date.now() + delay).toISOString(), error: reason });
    if (!this.failing) {
      this.failing = true;
      this.warn(`lineage forwarding to ${this.where} failed (${reason}); retrying`);
    }
    return false;
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

  private wakeIn(ms: number): void {
    if (ms >= this.o.pollMs) return; // the poll comes first
    clearTimeout(this.wake);
    this.wake = setTimeout(() => {
      this.wake = undefined;
      this.run();
    }, ms);
    this.wake.unref();
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
