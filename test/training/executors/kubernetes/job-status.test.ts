import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import type { IJobStatus } from 'kubernetes-models/batch/v1/JobStatus';
import { Pod, type IPod } from 'kubernetes-models/v1/Pod';
import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import type { IContainerState } from 'kubernetes-models/v1/ContainerState';
import { describe, expect, it } from 'vitest';
import { mapJobStatus } from '../../../../src/training/executors/kubernetes/index.js';
import { launch, render } from './fixtures.js';

// Status objects shaped after what the API server returns (Kubernetes 1.31+ Job
// controller, kubelet and eviction paths), each checked against the OpenAPI schema.

const manifest = render(launch());
const NAME = manifest.metadata!.name!;
const T0 = '2025-03-02T10:00:00Z';
const T1 = '2025-03-02T10:05:00Z';
const T2 = '2025-03-02T10:20:00Z';

function job(status: IJobStatus | undefined): IJob {
  const j: IJob = { ...manifest, metadata: { ...manifest.metadata, uid: '3f6b2c1e-8d4a-4f5e-9a7b-0c1d2e3f4a5b', creationTimestamp: T0 }, ...(status ? { status } : {}) };
  new Job(j).validate();
  return j;
}

const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', reason, message, lastProbeTime: T2, lastTransitionTime: T2 });

function failedJob(reason: string, message: string): IJob {
  return job({ startTime: T0, failed: 1, active: 0, ready: 0, terminating: 0, uncountedTerminatedPods: {}, conditions: [condition('FailureTarget', reason, message), condition('Failed', reason, message)] });
}

function pod(suffix: string, created: string, status: IPodStatus): IPod {
  const p: IPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${NAME}-${suffix}`, namespace: 'falaj-jobs', creationTimestamp: created, labels: manifest.spec!.template.metadata!.labels! },
    spec: { restartPolicy: 'Never', containers: [{ name: 'trainer', image: 'ghcr.io/acme/trainer:1.4.2' }], nodeName: 'gke-train-a100-spot-7f9c' },
    status,
  };
  new Pod(p).validate();
  return p;
}

function trainer(state: IContainerState) {
  return { name: 'trainer', image: 'ghcr.io/acme/trainer:1.4.2', imageID: 'ghcr.io/acme/trainer@sha256:4b1f', ready: false, restartCount: 0, state };
}

const exited = (exitCode: number, reason: string, message?: string): IContainerState => ({
  terminated: { exitCode, reason, startedAt: T0, finishedAt: T2, containerID: 'containerd://9c1e', ...(message ? { message } : {}) },
});

describe('mapJobStatus: not finished', () => {
  it('a Job the controller has not seen yet, or whose pod is not ready, is pending', () => {
    expect(mapJobStatus(job(undefined))).toBe('pending');
    expect(mapJobStatus(job({ startTime: T0, active: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} }))).toBe('pending');
  });

  it('a Job with a ready pod is running; before Kubernetes 1.24 (no `ready`), an active pod counts', () => {
    expect(mapJobStatus(job({ startTime: T0, active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {} }))).toBe('running');
    expect(mapJobStatus(job({ startTime: T0, active: 1 }))).toBe('running');
  });

  it('a Job suspended by Kueue is pending; a resumed one (Suspended False) runs', () => {
    expect(mapJobStatus(job({ conditions: [condition('Suspended', 'JobSuspended', 'Job suspended')] }))).toBe('pending');
    const resumed = job({ startTime: T1, active: 1, ready: 1, conditions: [{ ...condition('Suspended', 'JobResumed', 'Job resumed'), status: 'False' }] });
    expect(mapJobStatus(resumed)).toBe('running');
  });

  it('with pods: running when one runs, pending while it is scheduled or pulls its image', () => {
    const running = pod('x7k2p', T0, { phase: 'Running', startTime: T0, containerStatuses: [{ ...trainer({ running: { startedAt: T0 } }), ready: true, started: true }] });
    const pulling = pod('x7k2p', T0, { phase: 'Pending', containerStatuses: [trainer({ waiting: { reason: 'ErrImagePull', message: 'rpc error: code = Unknown desc = failed to pull' } })] });
    const unschedulable = pod('x7k2p', T0, {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/12 nodes are available: 12 Insufficient nvidia.com/gpu.' }],
    });
    const active = job({ startTime: T0, active: 1, ready: 0 });
    expect(mapJobStatus(active, [running])).toBe('running');
    expect(mapJobStatus(active, [pulling])).toBe('pending');
    expect(mapJobStatus(active, [unschedulable])).toBe('pending');
    expect(mapJobStatus(active, [])).toBe('pending');
  });

  it('a pod whose image can never exist fails the attempt instead of waiting for ever', () => {
    const invalid = pod('x7k2p', T0, { phase: 'Pending', containerStatuses: [trainer({ waiting: { reason: 'InvalidImageName', message: 'Failed to apply default image tag "ghcr.io/acme/Trainer": invalid reference format' } })] });
    const outcome = mapJobStatus(job({ startTime: T0, active: 1, ready: 0 }), [invalid]);
    expect(outcome).toEqual({ kind: 'failed', exitCode: null, signal: null, message: expect.stringMatching(/cannot start: InvalidImageName: Failed to apply default image tag/) });
  });
});

describe('mapJobStatus: finished', () => {
  it('Complete is success', () => {
    const complete = job({
      startTime: T0,
      completionTime: T2,
      succeeded: 1,
      active: 0,
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
      conditions: [condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'), condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods')],
    });
    expect(mapJobStatus(complete)).toEqual({ kind: 'succeeded' });
    expect(mapJobStatus(complete, [])).toEqual({ kind: 'succeeded' });
  });

  it('a failed trainer is a failure with its exit code and the tail of its log (FallbackToLogsOnError)', () => {
    const failed = failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    const p = pod('x7k2p', T0, { phase: 'Failed', containerStatuses: [trainer(exited(1, 'Error', 'Traceback (most recent call last):\nValueError: label column "delay" missing\n'))] });
    expect(mapJobStatus(failed, [p])).toEqual({
      kind: 'failed',
      exitCode: 1,
      signal: null,
      message: `container trainer of pod ${NAME}-x7k2p exited with code 1: Traceback (most recent call last):\nValueError: label column "delay" missing`,
    });
  });

  it('an out-of-memory kill is a failure with code 137, SIGKILL and the reason', () => {
    const p = pod('x7k2p', T0, { phase: 'Failed', containerStatuses: [trainer(exited(137, 'OOMKilled'))] });
    expect(mapJobStatus(failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit'), [p])).toEqual({
      kind: 'failed',
      exitCode: 137,
      signal: 'SIGKILL',
      message: `container trainer of pod ${NAME}-x7k2p exited with code 137 (OOMKilled)`,
    });
  });

  it('a trainer killed by SIGTERM reports the signal', () => {
    const p = pod('x7k2p', T0, { phase: 'Failed', containerStatuses: [trainer(exited(143, 'Error'))] });
    const outcome = mapJobStatus(failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit'), [p]);
    expect(outcome).toMatchObject({ kind: 'failed', exitCode: 143, signal: 'SIGTERM' });
  });

  it('DeadlineExceeded is a timeout', () => {
    const outcome = mapJobStatus(failedJob('DeadlineExceeded', 'Job was active longer than specified deadline'), []);
    expect(outcome).toEqual({ kind: 'timed-out', message: `Job ${NAME} ran past its activeDeadlineSeconds (DeadlineExceeded: Job was active longer than specified deadline)` });
  });

  it('a pod with the DisruptionTarget condition (eviction API: a drain) is preempted, not failed', () => {
    const p = pod('x7k2p', T0, {
      phase: 'Failed',
      conditions: [condition('DisruptionTarget', 'EvictionByEvictionAPI', 'Eviction API: evicting')],
      containerStatuses: [trainer(exited(143, 'Error'))],
    });
    expect(mapJobStatus(failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit'), [p])).toEqual({
      kind: 'preempted',
      message: `pod ${NAME}-x7k2p was disrupted: EvictionByEvictionAPI: Eviction API: evicting`,
    });
  });

  it.each([
    ['PreemptionByScheduler', 'default-scheduler: preempting to accommodate a higher priority pod'],
    ['DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint'],
    ['DeletionByPodGC', 'PodGC: node no longer exists'],
    ['TerminationByKubelet', 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 61224Ki.'],
  ])('DisruptionTarget %s is preempted', (reason, message) => {
    const p = pod('x7k2p', T0, { phase: 'Failed', conditions: [condition('DisruptionTarget', reason, message)] });
    expect(mapJobStatus(failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit'), [p])).toMatchObject({ kind: 'preempted', message: expect.stringContaining(reason) });
  });

  it('a spot node shutting down (kubelet graceful shutdown) is preempted', () => {
    const p = pod('x7k2p', T0, {
      phase: 'Failed',
      reason: 'Terminated',
      message: 'Pod was terminated in response to imminent node shutdown.',
      conditions: [condition('DisruptionTarget', 'TerminationByKubelet', 'Pod was terminated in response to imminent node shutdown.')],
      containerStatuses: [trainer(exited(137, 'Error'))],
    });
    expect(mapJobStatus(failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit'), [p])).toMatchObject({ kind: 'preempted' });
  });

  it.each([
    ['Evicted', 'The node was low on resource: ephemeral-storage. Container trainer was using 48Gi, which exceeds its request of 0.'],
    ['Preempting', 'Preempted in order to admit critical pod'],
    ['Shutdown', 'Node is shutting, evicting pods'],
    ['NodeLost', 'Node gke-train-a100-spot-7f9c which was running pod is unresponsive'],
  ])('a pod with reason %s and no DisruptionTarget condition (older kubelets) is preempted', (reason, message) => {
    const p = pod('x7k2p', T0, { phase: 'Failed', reason, message });
    expect(mapJobStatus(failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit'), [p])).toEqual({
      kind: 'preempted',
      message: `pod ${NAME}-x7k2p was disrupted: ${reason}: ${message}`,
    });
  });

  it('with disruption: end-attempt, the FailJob rule on DisruptionTarget is preempted, with or without the pod', () => {
    const failed = failedJob('PodFailurePolicy', `Pod falaj-jobs/${NAME}-x7k2p has condition DisruptionTarget matching FailJob rule at index 0`);
    const p = pod('x7k2p', T0, { phase: 'Failed', conditions: [condition('DisruptionTarget', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint')] });
    expect(mapJobStatus(failed, [p])).toEqual({ kind: 'preempted', message: `pod ${NAME}-x7k2p was disrupted: DeletionByTaintManager: Taint manager: deleting due to NoExecute taint` });
    expect(mapJobStatus(failed, [])).toMatchObject({ kind: 'preempted', message: expect.stringContaining('has condition DisruptionTarget matching FailJob rule') });
  });

  it('with disruption: replace-pod, an earlier disrupted pod does not hide the failure of its replacement', () => {
    const reclaimed = pod('a1b2c', T0, { phase: 'Failed', conditions: [condition('DisruptionTarget', 'DeletionByPodGC', 'PodGC: node no longer exists')] });
    const replacement = pod('d3e4f', T1, { phase: 'Failed', containerStatuses: [trainer(exited(2, 'Error', 'usage: fit.py [-h] --epochs N'))] });
    const failed = failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    for (const pods of [[reclaimed, replacement], [replacement, reclaimed]]) {
      expect(mapJobStatus(failed, pods)).toMatchObject({ kind: 'failed', exitCode: 2, message: expect.stringContaining(`${NAME}-d3e4f`) });
    }
  });

  it('a pod the kubelet refused before the trainer started is a failure with the kubelet reason', () => {
    const p = pod('x7k2p', T0, { phase: 'Failed', reason: 'UnexpectedAdmissionError', message: 'Allocate failed due to no healthy devices present; cannot allocate unhealthy devices nvidia.com/gpu, which is unexpected' });
    expect(mapJobStatus(failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit'), [p])).toEqual({
      kind: 'failed',
      exitCode: null,
      signal: null,
      message: expect.stringMatching(/failed: UnexpectedAdmissionError: Allocate failed/),
    });
  });

  it('a failed Job whose pods are gone is lost; without a pod listing it is a failure with the Job reason', () => {
    const failed = failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    expect(mapJobStatus(failed, [])).toMatchObject({ kind: 'lost', message: expect.stringContaining('pods are gone') });
    expect(mapJobStatus(failed)).toEqual({ kind: 'failed', exitCode: null, signal: null, message: `Job ${NAME} failed: BackoffLimitExceeded: Job has reached the specified backoff limit` });
  });

  it('a Job that no longer exists is lost', () => {
    expect(mapJobStatus(null)).toMatchObject({ kind: 'lost' });
  });
});
