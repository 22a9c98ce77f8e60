import { open } from 'node:fs/promises';
import type { AttemptOutcome } from '../contracts.js';
import { backoffMs, type JobRequirements } from '../definitions/resolve.js';
import type { TrainingJobTable } from './training.table.js';

export interface AttemptEnd {
  job: TrainingJobTable;
  attempt: number;
  outcome: AttemptOutcome;
  req: JobRequirements;
  now: Date;
  cost: number;
  modelVersion: number | null;
  /** the last lines of the attempt's log, read only when the job gives up */
  logTail: () => Promise<string>;
}

/**
 * What an attempt's end means for its job: done; cancelled; requeued at once (preempted,
 * lost: the retry budget is untouched); retried after an exponential backoff (failed,
 * timed out); or given up with the last error and the log's last lines.
 */
export async function nextJobState(end: AttemptEnd): Promise<{ patch: Partial<TrainingJobTable>; runStatus: 'FINISHED' | 'FAILED' | 'KILLED' | null }> {
  const { job, attempt, outcome, req, now } = end;
  const at = now.toISOString();
  const patch: Partial<TrainingJobTable> = { cost: job.cost + end.cost, updated_at: at };
  switch (outcome.kind) {
    case 'succeeded':
      return { patch: { ...patch, status: 'succeeded', finished_at: at, model_version: end.modelVersion, waiting_reason: null }, runStatus: 'FINISHED' };
    case 'cancelled':
      return { patch: { ...patch, status: 'cancelled', finished_at: at, waiting_reason: null }, runStatus: 'KILLED' };
    case 'preempted':
    case 'lost':
      return { patch: { ...patch, status: 'queued', next_attempt_at: null, waiting_reason: `requeued: attempt ${attempt} was ${outcome.kind} (${outcome.message})` }, runStatus: null };
    default: {
      const failures = job.failures + 1;
      if (failures > req.retries) {
        const tail = await end.logTail();
        const lastError = `${outcome.message}${tail ? `\n--- last lines of the log ---\n${tail}` : ''}`;
        return { patch: { ...patch, status: 'failed', failures, finished_at: at, last_error: lastError, waiting_reason: null }, runStatus: 'FAILED' };
      }
      const next = new Date(now.getTime() + backoffMs(req, failures)).toISOString();
      return {
        patch: { ...patch, status: 'queued', failures, last_error: outcome.message, next_attempt_at: next, waiting_reason: `retry ${failures} of ${req.retries} after a backoff, not before ${next}` },
        runStatus: null,
      };
    }
  }
}

/** The last lines of a log file (read from its last 64 KiB), or '' when there is none. */
export async function logTail(file: string, lines = 20): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}
