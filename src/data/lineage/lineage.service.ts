import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { InputError, NotFoundError } from '../../core/errors/index.js';
import { newId } from '../../core/ids.js';
import type { AuditLog, ProjectService, RequestContext } from '../../security/index.js';
import type { Db, DbOrTx } from '../../storage/metadata/index.js';
import { projectOfNamespace, type RunEvent } from './lineage-event.js';
import { LineageForwarder, type ForwarderStats, type LineageForwarderOptions } from './lineage-forwarder.js';
import { edgesOfEvent, walkLineage, type LineageDirection, type LineageGraph } from './lineage-graph.js';
import { jobKey, nodeOfDataset, parseNode } from './lineage-node.js';
import * as repo from './lineage.repository.js';
import { validateRunEvent } from './validate-run-event.js';

export interface LineageServiceOptions {
  clock?: Clock;
  /** forward every stored event to an OpenLineage endpoint (Marquez, DataHub, …), through the outbox */
  forward?: Omit<LineageForwarderOptions, 'onError'> | undefined;
  /** warnings from forwarding: the endpoint failing, events dropped */
  onError?: (err: Error) => void;
  /** most nodes one graph answer holds (default 2000) */
  maxNodes?: number;
}

/** What storing an event did. */
export interface EmitResult {
  id: string;
  project: string;
  runId: string;
  eventType: string | null;
  /** input → output links the event added or refreshed (COMPLETE events only) */
  edges: number;
}

/** A stored event, newest first in lists. */
export interface StoredLineageEvent {
  id: string;
  runId: string;
  eventType: string | null;
  eventTime: string;
  /** `key`: how the graph and the `job` filter name it (the name, or `<namespace>/<name>` outside the project's namespace) */
  job: { namespace: string; name: string; key: string };
  /** node ids */
  inputs: string[];
  outputs: string[];
  event: RunEvent;
  createdAt: string;
}

export const DEFAULT_LINEAGE_DEPTH = 10;
export const MAX_LINEAGE_DEPTH = 50;

/**
 * Lineage: OpenLineage run events from Falaj's own jobs (ingestion, materialization,
 * training sets, training, registration) and from outside tools, stored per project.
 * COMPLETE events add input → output links, so "which sources feed this model" (up) and
 * "which models use this feature view" (down) are cheap walks. With `lineage.url` set,
 * every event is also forwarded to that OpenLineage endpoint in the background: it enters
 * the outbox (`lineage_outbox`) in the transaction that stores it, so a crash or a restart
 * never loses it (see {@link LineageForwarder}).
 */
export class LineageService {
  private readonly clock: Clock;
  private readonly forwarder: LineageForwarder | undefined;

  constructor(
    private readonly db: Kysely<Db>,
    private readonly projects: Pick<ProjectService, 'get'>,
    private readonly audit: AuditLog,
    private readonly options: LineageServiceOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.forwarder = options.forward ? new LineageForwarder(db, { ...options.forward, ...(options.onError ? { onError: options.onError } : {}) }) : undefined;
  }

  /**
   * Stores a run event of Falaj's own (namespace `falaj://<project>`, or name the project),
   * links inputs to outputs when it is a COMPLETE, and queues it for forwarding. Rejects
   * an invalid event (`FALAJ_LINEAGE_EVENT_INVALID`); forwarding never fails it.
   */
  async emit(event: RunEvent, options: { project?: string } = {}): Promise<EmitResult> {
    const valid = validateRunEvent(event);
    const project = options.project ?? projectOfNamespace(valid.job.namespace);
    if (!project) {
      throw new InputError('FALAJ_LINEAGE_EVENT_INVALID', `job namespace ${valid.job.namespace} is not falaj://<project>: name the project the event belongs to`);
    }
    return this.store(project, valid);
  }

  /** An event reported from outside (Airflow, Spark, dbt with an OpenLineage client): audited as `lineage.report`. */
  async report(ctx: RequestContext, project: string, event: unknown): Promise<EmitResult> {
    await this.projects.get(project);
    const valid = validateRunEvent(event);
    return this.store(project, valid, async (tx, result) => {
      await this.audit.append(tx, {
        actor: ctx.principal.id,
        action: 'lineage.report',
        resource: `lineage/${jobKey(project, valid.job)}`,
        project,
        outcome: 'success',
        requestId: ctx.requestId ?? null,
        details: { runId: result.runId, eventType: result.eventType, producer: valid.producer, inputs: valid.inputs?.length ?? 0, outputs: valid.outputs?.length ?? 0 },
      });
    });
  }

  /** Stored events, newest first (by event time); `job` filters on the job key (see {@link StoredLineageEvent}). */
  async listEvents(project: string, query: { job?: string; limit?: number } = {}): Promise<StoredLineageEvent[]> {
    await this.projects.get(project);
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), 1000);
    const rows = await repo.listEvents(this.db, project, { ...(query.job !== undefined ? { job: query.job } : {}), limit });
    return rows.map((r) => {
      const event = JSON.parse(r.event) as RunEvent;
      return {
        id: r.id,
        runId: r.run_id,
        eventType: r.event_type || null,
        eventTime: r.event_time,
        job: { namespace: event.job.namespace, name: event.job.name, key: r.job_name },
        inputs: JSON.parse(r.inputs) as string[],
        outputs: JSON.parse(r.outputs) as string[],
        event,
        createdAt: r.created_at,
      };
    });
  }

  /**
   * The lineage around a node (`<kind>/<name>`, see `nodeOf`): `up` walks to what fed it,
   * `down` to what it fed, `both` (default) both ways, `depth` steps at most (default 10).
   */
  async graph(project: string, node: string, options: { direction?: LineageDirection; depth?: number } = {}): Promise<LineageGraph> {
    await this.projects.get(project);
    const start = parseNode(node).id;
    const depth = options.depth ?? DEFAULT_LINEAGE_DEPTH;
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_LINEAGE_DEPTH) throw new InputError('FALAJ_BAD_REQUEST', `lineage depth must be a whole number from 1 to ${MAX_LINEAGE_DEPTH}, got ${depth}`);
    if (!(await repo.hasNode(this.db, project, start))) {
      throw new NotFoundError('FALAJ_LINEAGE_NODE_NOT_FOUND', `no completed run in project ${project} read or wrote ${start}; lineage is recorded when a job that uses it completes`);
    }
    return walkLineage(this.db, project, start, { direction: options.direction ?? 'both', depth, maxNodes: this.options.maxNodes ?? 2000 });
  }

  /** Forwarding counts (`queued`: events in the outbox), or null when no endpoint is configured. */
  async forwarding(): Promise<ForwarderStats | null> {
    return this.forwarder ? this.forwarder.stats() : null;
  }

  /** Waits until the outbox is empty: every event sent or dropped (tests); false on timeout. */
  async flush(timeoutMs?: number): Promise<boolean> {
    return this.forwarder ? this.forwarder.flush(timeoutMs) : true;
  }

  /** Stops forwarding (after a send in flight); events not sent yet stay in the outbox, for the next process or another replica. */
  async close(): Promise<void> {
    await this.forwarder?.close();
  }

  private async store(project: string, event: RunEvent, inTransaction?: (tx: DbOrTx, result: EmitResult) => Promise<void>): Promise<EmitResult> {
    const now = this.clock.now().toISOString();
    const id = newId('lin', this.clock.now().getTime());
    const edges = event.eventType === 'COMPLETE' ? edgesOfEvent(project, event) : [];
    const result: EmitResult = { id, project, runId: event.run.runId, eventType: event.eventType ?? null, edges: edges.length };
    await this.db.transaction().execute(async (tx) => {
      await repo.insertEvent(tx, {
        id,
        project,
        run_id: event.run.runId,
        event_type: event.eventType ?? '',
        event_time: new Date(event.eventTime).toISOString(),
        job_namespace: event.job.namespace,
        job_name: jobKey(project, event.job),
        inputs: JSON.stringify((event.inputs ?? []).map((d) => nodeOfDataset(project, d))),
        outputs: JSON.stringify((event.outputs ?? []).map((d) => nodeOfDataset(project, d))),
        event: JSON.stringify(event),
        created_at: now,
      });
      await repo.upsertEdges(tx, edges.map((e) => ({ project, from_node: e.from, to_node: e.to, job_name: e.job, run_id: event.run.runId, created_at: now })));
      await inTransaction?.(tx, result);
      // in the same transaction: an event stored is an event that will be forwarded
      await this.forwarder?.enqueue(tx, id);
    });
    this.forwarder?.poke();
    return result;
  }
}
