import { constants } from 'node:os';
import type { AttemptOutcome } from '../../contracts.js';
import { TRAINER_CONTAINER } from './render-job.js';

/**
 * What an attempt's Job and pods say about it, as an {@link AttemptOutcome} once it is
 * over, else `running` or `pending`. Pure: the executor feeds it what the API returned.
 *
 * The shapes below are the parts of `batch/v1` Job and `v1` Pod this reads; the objects
 * of `@kubernetes/client-node` (dates as `Date`) and of `kubernetes-models` (dates as
 * strings) both fit.
 */
export interface ObservedCondition {
  type: string;
  status: string;
  reason?: string | undefined;
  message?: string | undefined;
}

export interface ObservedMeta {
  name?: string | undefined;
  namespace?: string | undefined;
  uid?: string | undefined;
  labels?: Record<string, string> | undefined;
  creationTimestamp?: string | Date | undefined;
  deletionTimestamp?: string | Date | undefined;
}

export interface ObservedJob {
  metadata?: ObservedMeta | undefined;
  status?:
    | {
        conditions?: ObservedCondition[] | undefined;
        active?: number | undefined;
        ready?: number | undefined;
        failed?: number | undefined;
        succeeded?: number | undefined;
      }
    | undefined;
}

export interface ObservedContainerStatus {
  name: string;
  state?:
    | {
        waiting?: { reason?: string | undefined; message?: string | undefined } | undefined;
        running?: object | undefined;
        terminated?: { exitCode: number; signal?: number | undefined; reason?: string | undefined; message?: string | undefined } | undefined;
      }
    | undefined;
}

export interface ObservedPod {
  metadata?: ObservedMeta | undefined;
  status?:
    | {
        phase?: string | undefined;
        reason?: string | undefined;
        message?: string | undefined;
        conditions?: ObservedCondition[] | undefined;
        containerStatuses?: ObservedContainerStatus[] | undefined;
      }
    | undefined;
}

export type AttemptState = AttemptOutcome | 'running' | 'pending';

/**
 * Pod `status.reason` values set when a pod is removed for a reason other than its own
 * work, on kubelets that predate (or do not set) the `DisruptionTarget` condition:
 * node-pressure eviction, kubelet preemption for a critical pod, graceful node shutdown
 * (`Terminated` since 1.22, `Shutdown` before), an unreachable node (`NodeLost`).
 */
const DISRUPTED_POD_REASONS = new Set(['Evicted', 'Preempting', 'Terminated', 'Shutdown', 'NodeShutdown', 'NodeLost']);

/** Container waiting reasons that no retry by the kubelet can fix: the pod would stay Pending forever. */
const HOPELESS_WAITING_REASONS = new Set(['InvalidImageName', 'ErrImageNeverPull']);

/**
 * Maps an attempt's Job (null: it does not exist any more) and, when listed, its pods:
 *
 * | observed                                                        | state |
 * |-----------------------------------------------------------------|-------|
 * | no Job                                                          | lost |
 * | condition `Complete`                                            | succeeded |
 * | `Failed`, reason `DeadlineExceeded`                             | timed-out |
 * | `Failed`, the failed pod has `DisruptionTarget` or a disruption reason, or a `FailJob` rule matched `DisruptionTarget` | preempted |
 * | `Failed`, pods listed and none left                             | lost |
 * | `Failed` otherwise                                              | failed, with the trainer's exit code |
 * | not finished, a pod waits on an image that cannot exist          | failed |
 * | not finished, `Suspended` (Kueue holding it), or no pod running | pending |
 * | not finished, a pod running (or `status.ready` > 0)             | running |
 */
export function mapJobStatus(job: null): AttemptOutcome;
export function mapJobStatus(job: ObservedJob | null, pods?: readonly ObservedPod[]): AttemptState;
export function mapJobStatus(job: ObservedJob | null, pods?: readonly ObservedPod[]): AttemptState {
  if (!job) return { kind: 'lost', message: 'the Job no longer exists: it was deleted outside Falaj (or with its namespace)' };
  const name = job.metadata?.name ?? 'the Job';
  const conditions = job.status?.conditions ?? [];
  if (condition(conditions, 'Complete')) return { kind: 'succeeded' };
  const failed = condition(conditions, 'Failed');
  if (failed) return failedOutcome(name, failed, pods);

  if (condition(conditions, 'Suspended')) return 'pending';
  if (pods) {
    for (const pod of pods) {
      const waiting = trainerStatus(pod)?.state?.waiting;
      if (waiting?.reason && HOPELESS_WAITING_REASONS.has(waiting.reason)) {
        return { kind: 'failed', exitCode: null, signal: null, message: `pod ${podName(pod)} cannot start: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` };
      }
    }
    return pods.some((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp) ? 'running' : 'pending';
  }
  const { active = 0, ready } = job.status ?? {};
  // `ready` exists since Kubernetes 1.24; before it, an active pod is the best sign there is
  if (ready !== undefined) return ready > 0 ? 'running' : 'pending';
  return active > 0 ? 'running' : 'pending';
}

function failedOutcome(name: string, failed: ObservedCondition, pods: readonly ObservedPod[] | undefined): AttemptOutcome {
  const why = [failed.reason, failed.message].filter(Boolean).join(': ') || 'no reason given';
  if (failed.reason === 'DeadlineExceeded') return { kind: 'timed-out', message: `Job ${name} ran past its activeDeadlineSeconds (${why})` };
  // with `disruption: end-attempt`, the Job controller names the condition in its message:
  // "Pod <ns>/<pod> has condition DisruptionTarget matching FailJob rule at index 0"
  if (failed.reason === 'PodFailurePolicy' && /has condition DisruptionTarget/.test(failed.message ?? '')) {
    const disrupted = pods?.map(disruptionOf).find((d) => d !== null);
    return { kind: 'preempted', message: disrupted ?? `Job ${name}: ${why}` };
  }
  if (pods && pods.length === 0) return { kind: 'lost', message: `Job ${name} failed (${why}) and its pods are gone, so what happened to them cannot be told` };
  // the pod whose failure failed the Job is the newest failed one: with `replace-pod`,
  // older pods may have been disrupted and replaced, and those did not fail the Job
  const pod = newest((pods ?? []).filter((p) => p.status?.phase === 'Failed')) ?? newest(pods ?? []);
  if (pod) {
    const disrupted = disruptionOf(pod);
    if (disrupted) return { kind: 'preempted', message: disrupted };
    const terminated = trainerStatus(pod)?.state?.terminated;
    if (terminated) {
      const signal = signalName(terminated.signal, terminated.exitCode);
      const reason = terminated.reason && terminated.reason !== 'Error' ? ` (${terminated.reason})` : '';
      const tail = terminated.message?.trim() ? `: ${terminated.message.trim()}` : '';
      return { kind: 'failed', exitCode: terminated.exitCode, signal, message: `container ${TRAINER_CONTAINER} of pod ${podName(pod)} exited with code ${terminated.exitCode}${reason}${tail}` };
    }
    const podWhy = [pod.status?.reason, pod.status?.message].filter(Boolean).join(': ');
    if (podWhy) return { kind: 'failed', exitCode: null, signal: null, message: `pod ${podName(pod)} failed: ${podWhy}` };
  }
  return { kind: 'failed', exitCode: null, signal: null, message: `Job ${name} failed: ${why}` };
}

/** Why a pod was disrupted, or null when it was not. */
export function disruptionOf(pod: ObservedPod): string | null {
  const target = condition(pod.status?.conditions ?? [], 'DisruptionTarget');
  if (target) return `pod ${podName(pod)} was disrupted: ${[target.reason, target.message].filter(Boolean).join(': ') || 'DisruptionTarget'}`;
  const reason = pod.status?.reason;
  if (reason && DISRUPTED_POD_REASONS.has(reason)) return `pod ${podName(pod)} was disrupted: ${reason}${pod.status?.message ? `: ${pod.status.message}` : ''}`;
  return null;
}

/** True when the Job has reached `Complete` or `Failed`: its pods have stopped. */
export function isJobFinished(job: ObservedJob): boolean {
  const conditions = job.status?.conditions ?? [];
  return condition(conditions, 'Complete') !== undefined || condition(conditions, 'Failed') !== undefined;
}

function condition(conditions: readonly ObservedCondition[], type: string): ObservedCondition | undefined {
  return conditions.find((c) => c.type === type && c.status === 'True');
}

function trainerStatus(pod: ObservedPod): ObservedContainerStatus | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.find((s) => s.name === TRAINER_CONTAINER) ?? statuses[0];
}

function podName(pod: ObservedPod): string {
  return pod.metadata?.name ?? '(unnamed)';
}

/** The newest pod by creation time; the last one listed when times are missing or equal. */
function newest(pods: readonly ObservedPod[]): ObservedPod | undefined {
  let best: ObservedPod | undefined;
  let bestTime = -Infinity;
  for (const pod of pods) {
    const t = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : -Infinity;
    if (best === undefined || t >= bestTime) {
      best = pod;
      bestTime = t;
    }
  }
  return best;
}

/**
 * The signal that ended the trainer: the runtime's `signal` when it reports one, else
 * from an exit code above 128 (the shell and container runtime convention, 128 + n).
 */
function signalName(signal: number | undefined, exitCode: number): string | null {
  const n = signal ?? (exitCode > 128 && exitCode < 128 + 65 ? exitCode - 128 : undefined);
  if (n === undefined) return null;
  const entry = Object.entries(constants.signals).find(([, value]) => value === n);
  return entry ? entry[0] : null;
}
