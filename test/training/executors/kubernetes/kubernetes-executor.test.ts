import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isFalajError } from '../../../../src/core/errors/index.js';
import type { AttemptOutcome } from '../../../../src/training/contracts.js';
import { connectKubernetes, KubernetesExecutor, parseExternalId } from '../../../../src/training/executors/kubernetes/index.js';
import { gpuSpotLaunch, launch, TOKEN } from './fixtures.js';
import { StubKubeApi } from './stub-kube-api.js';

const executors: KubernetesExecutor[] = [];
afterEach(() => {
  for (const e of executors.splice(0)) e.close();
});

function setup(options: { pollIntervalMs?: number } = {}) {
  const api = new StubKubeApi();
  const executor = new KubernetesExecutor({
    inCluster: true,
    poolOptions: () => ({ checkpointVolumeClaim: 'falaj-checkpoints' }),
    pollIntervalMs: options.pollIntervalMs ?? 10,
    resyncIntervalMs: 60_000,
    connect: async () => api,
  });
  executors.push(executor);
  const outcomes: AttemptOutcome[] = [];
  return { api, executor, outcomes, onExit: (o: AttemptOutcome) => outcomes.push(o) };
}

const done = { startTime: '2025-03-02T10:00:00Z', completionTime: '2025-03-02T10:20:00Z', succeeded: 1, conditions: [{ type: 'Complete', status: 'True', reason: 'CompletionsReached' }] };
const failed = { startTime: '2025-03-02T10:00:00Z', failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] };

function failedPod(jobName: string, exitCode: number, name = `${jobName}-x7k2p`, created = '2025-03-02T10:00:01Z'): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'falaj-jobs', creationTimestamp: created, labels: { 'falaj.dev/attempt-name': jobName } },
    status: { phase: 'Failed', containerStatuses: [{ name: 'trainer', image: 'i', imageID: 'i', ready: false, restartCount: 0, state: { terminated: { exitCode, reason: 'Error' } } }] },
  };
}

describe('KubernetesExecutor: configuration', () => {
  it('refuses to be built without a kubeconfig, saying which setting to give', () => {
    let err: unknown;
    try {
      new KubernetesExecutor({ poolOptions: () => ({}) });
    } catch (e) {
      err = e;
    }
    expect(isFalajError(err) && err.code).toBe('FALAJ_KUBERNETES_NOT_CONFIGURED');
    expect((err as Error).message).toMatch(/training\.kubeconfig/);
  });

  it('refuses a kubeconfig path that does not exist', () => {
    expect(() => new KubernetesExecutor({ kubeconfigPath: '/nonexistent/kubeconfig', poolOptions: () => ({}) })).toThrow(/kubeconfig \/nonexistent\/kubeconfig does not exist/);
  });

  it('reports an unreadable kubeconfig when it first talks to the cluster', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'falaj-k8s-'));
    const file = join(dir, 'kubeconfig');
    await writeFile(file, 'clusters: [ this is not a kubeconfig');
    const executor = new KubernetesExecutor({ kubeconfigPath: file, poolOptions: () => ({}) });
    await expect(executor.isAlive('falaj-jobs/x-1')).rejects.toMatchObject({ code: 'FALAJ_KUBERNETES_NOT_CONFIGURED' });
  });

  it('names a missing context of the kubeconfig', async () => {
    const file = await kubeconfig('https://127.0.0.1:1');
    await expect(connectKubernetes({ kubeconfigPath: file, context: 'prod' })).rejects.toThrow(/has no context prod/);
  });

  it('turns an unreachable API server into FALAJ_KUBERNETES_API_FAILED (the real client, no server)', async () => {
    const executor = new KubernetesExecutor({ kubeconfigPath: await kubeconfig('https://127.0.0.1:1'), poolOptions: () => ({}) });
    await expect(executor.isAlive('falaj-jobs/train-delays-5e0c41d7-1')).rejects.toMatchObject({ code: 'FALAJ_KUBERNETES_API_FAILED', message: expect.stringMatching(/read Job failed/) });
  });

  it('parses its external ids and refuses others', () => {
    expect(parseExternalId('falaj-jobs/train-5e0c41d7-1')).toEqual({ namespace: 'falaj-jobs', name: 'train-5e0c41d7-1' });
    expect(parseExternalId('12345')).toBeNull();
    expect(parseExternalId('a/b/c')).toBeNull();
  });
});

describe('KubernetesExecutor: following an attempt (over a stub of its own API port)', () => {
  it('creates the Secret, then the Job, then makes the Job own the Secret; the token is only in the Secret', async () => {
    const { api, executor, onExit } = setup();
    const { externalId } = await executor.start(launch(), onExit);
    const name = parseExternalId(externalId)!.name;
    expect(externalId).toBe(`falaj-jobs/${name}`);
    expect(api.calls.slice(0, 3)).toEqual([`createSecret ${name}`, `createJob ${name}`, `setSecretOwner ${name} uid-${name}`]);
    expect(JSON.stringify(api.jobs.get(name))).not.toContain(TOKEN);
    expect(api.secrets.get(name)!.metadata!.ownerReferences![0]!.uid).toBe(`uid-${name}`);
  });

  it('reports success exactly once, deletes the Secret, and leaves the Job to its TTL', async () => {
    const { api, executor, outcomes, onExit } = setup();
    const { externalId } = await executor.start(launch(), onExit);
    const name = parseExternalId(externalId)!.name;
    await vi.waitFor(() => expect(api.openWatches).toBe(1));
    api.setStatus(name, done);
    api.setStatus(name, done);
    api.remove(name); // the TTL controller, later
    await vi.waitFor(() => expect(outcomes).toEqual([{ kind: 'succeeded' }]));
    await settle();
    expect(outcomes).toHaveLength(1);
    expect(api.secrets.has(name)).toBe(false);
    expect(api.calls.filter((c) => c.startsWith('deleteJob'))).toEqual([]);
    expect(executor.running).toBe(0);
    expect(api.openWatches).toBe(0);
  });

  it('reports a failure with the exit code of the trainer', async () => {
    const { api, executor, outcomes, onExit } = setup();
    const { externalId } = await executor.start(gpuSpotLaunch(), onExit);
    const name = parseExternalId(externalId)!.name;
    api.pods.push(failedPod(name, 3));
    await vi.waitFor(() => expect(api.openWatches).toBe(1));
    api.setStatus(name, failed);
    await vi.waitFor(() => expect(outcomes).toHaveLength(1));
    expect(outcomes[0]).toMatchObject({ kind: 'failed', exitCode: 3 });
  });

  it('a stop deletes the Job in the foreground with the grace period, and the outcome is the stop reason, not lost', async () => {
    const { api, executor, outcomes, onExit } = setup();
    const { externalId } = await executor.start(launch({ gracePeriodMs: 45_000 }), onExit);
    const name = parseExternalId(externalId)!.name;
    await vi.waitFor(() => expect(api.openWatches).toBe(1));
    await executor.stop(externalId, 'preempted');
    await executor.stop(externalId, 'cancelled'); // only the first stop counts
    expect(api.calls.filter((c) => c.startsWith('deleteJob'))).toEqual([`deleteJob ${name} Foreground 45`]);
    await settle();
    expect(outcomes).toEqual([]); // still deleting: the pod has its grace period
    api.remove(name);
    await vi.waitFor(() => expect(outcomes).toEqual([{ kind: 'preempted', message: 'preempted to make room for a higher-priority job' }]));
  });

  it('a Job deleted by someone else is lost', async () => {
    const { api, executor, outcomes, onExit } = setup();
    const { externalId } = await executor.start(launch(), onExit);
    await vi.waitFor(() => expect(api.openWatches).toBe(1));
    api.remove(parseExternalId(externalId)!.name);
    await vi.waitFor(() => expect(outcomes).toMatchObject([{ kind: 'lost' }]));
  });

  it('when the watch drops and cannot reconnect, polling sees the end', async () => {
    const { api, executor, outcomes, onExit } = setup();
    const { externalId } = await executor.start(launch(), onExit);
    const name = parseExternalId(externalId)!.name;
    await vi.waitFor(() => expect(api.openWatches).toBe(1));
    api.failWatch = true;
    api.dropWatches();
    api.jobs.get(name)!.status = done; // changed while nobody watched: no event
    await vi.waitFor(() => expect(outcomes).toEqual([{ kind: 'succeeded' }]));
    expect(api.calls.filter((c) => c.startsWith('readJob')).length).toBeGreaterThan(0);
  });

  it('keeps polling through failed reads, and watches again once it can', async () => {
    const { api, executor, outcomes, onExit } = setup();
    api.failWatch = true;
    api.failReads = 3;
    const { externalId } = await executor.start(launch(), onExit);
    const name = parseExternalId(externalId)!.name;
    await vi.waitFor(() => expect(api.calls.filter((c) => c.startsWith('readJob')).length).toBeGreaterThan(3));
    expect(outcomes).toEqual([]);
    api.failWatch = false;
    await vi.waitFor(() => expect(api.openWatches).toBe(1), { timeout: 5_000 });
    api.setStatus(name, done);
    await vi.waitFor(() => expect(outcomes).toEqual([{ kind: 'succeeded' }]));
  });

  it('retries a failed delete on stop', async () => {
    const { api, executor, outcomes, onExit } = setup();
    const { externalId } = await executor.start(launch(), onExit);
    const name = parseExternalId(externalId)!.name;
    api.failDeletes = 2;
    await executor.stop(externalId, 'cancelled');
    await vi.waitFor(() => expect(api.calls.filter((c) => c.startsWith('deleteJob')).length).toBe(3));
    api.remove(name);
    await vi.waitFor(() => expect(outcomes).toEqual([{ kind: 'cancelled', message: 'cancelled' }]));
  });

  it("stops an attempt at its timeout, saving the log first, and reports timed-out", async () => {
    const { api, executor, outcomes, onExit } = setup();
    const { externalId } = await executor.start(launch({ timeoutMs: 50 }), onExit);
    const name = parseExternalId(externalId)!.name;
    const running = failedPod(name, 0);
    running.status = { phase: 'Running' };
    api.pods.push(running);
    api.logs.set(running.metadata!.name!, 'epoch 1 loss 0.42\nepoch 2 loss 0.31\n');
    await vi.waitFor(() => expect(api.calls.some((c) => c.startsWith('deleteJob'))).toBe(true));
    api.pods.length = 0; // the pod is deleted with the Job
    api.remove(name);
    await vi.waitFor(() => expect(outcomes).toMatchObject([{ kind: 'timed-out', message: 'ran past its timeout of 50 ms and was stopped' }]));
    const file = join(await mkdtemp(join(tmpdir(), 'falaj-k8s-')), 'attempt-1', 'output.log');
    await executor.collectLogs(externalId, file);
    expect(await readFile(file, 'utf8')).toBe('epoch 1 loss 0.42\nepoch 2 loss 0.31\n');
  });

  it('fails an attempt whose image name is invalid instead of waiting for ever, and deletes its Job', async () => {
    const { api, executor, outcomes, onExit } = setup();
    const { externalId } = await executor.start(launch(), onExit);
    const name = parseExternalId(externalId)!.name;
    const stuck = failedPod(name, 0);
    stuck.status = { phase: 'Pending', containerStatuses: [{ name: 'trainer', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'InvalidImageName' } } }] };
    api.pods.push(stuck);
    await vi.waitFor(() => expect(api.openWatches).toBe(1));
    api.setStatus(name, { startTime: '2025-03-02T10:00:00Z', active: 1, ready: 0 });
    await vi.waitFor(() => expect(outcomes).toMatchObject([{ kind: 'failed', message: expect.stringContaining('InvalidImageName') }]));
    expect(api.jobs.has(name)).toBe(false);
  });

  it('deletes the Secret again when the Job cannot be created', async () => {
    const { api, executor, onExit } = setup();
    api.failCreate = true;
    await expect(executor.start(launch(), onExit)).rejects.toThrow(/admission webhook/);
    expect(api.secrets.size).toBe(0);
    expect(executor.running).toBe(0);
  });

  it('isAlive: a running Job of that attempt is alive; a finished, deleting, missing or other attempt is not', async () => {
    const { api, executor, onExit } = setup();
    const l = launch();
    const { externalId } = await executor.start(l, onExit);
    const name = parseExternalId(externalId)!.name;
    expect(await executor.isAlive(externalId, `${l.jobId}/${l.attempt}`)).toBe(true);
    expect(await executor.isAlive(externalId, `${l.jobId}/7`)).toBe(false);
    expect(await executor.isAlive('falaj-jobs/nothing-here-1')).toBe(false);
    api.jobs.get(name)!.status = done;
    expect(await executor.isAlive(externalId)).toBe(false);
  });

  it('reads the logs of every pod of the attempt, oldest first, with a header per pod', async () => {
    const { api, executor, onExit } = setup();
    const { externalId } = await executor.start(launch(), onExit);
    const name = parseExternalId(externalId)!.name;
    api.pods.push(failedPod(name, 1, `${name}-bbbbb`, '2025-03-02T10:10:00Z'), failedPod(name, 0, `${name}-aaaaa`, '2025-03-02T10:00:00Z'));
    api.logs.set(`${name}-aaaaa`, 'first pod\n').set(`${name}-bbbbb`, 'replacement pod\n');
    expect(await executor.readLogs(externalId)).toBe(`==> pod ${name}-aaaaa <==\nfirst pod\n\n==> pod ${name}-bbbbb <==\nreplacement pod\n`);
  });
});

async function kubeconfig(server: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'falaj-k8s-')), 'kubeconfig');
  await writeFile(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: test, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]`,
      'users: [{ name: test, user: { token: not-a-real-token } }]',
      'contexts: [{ name: test, context: { cluster: test, user: test } }]',
      'current-context: test',
    ].join('\n'),
  );
  return file;
}

function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 30));
}
