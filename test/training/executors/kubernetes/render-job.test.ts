import { Job } from 'kubernetes-models/batch/v1/Job';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isFalajError } from '../../../../src/core/errors/index.js';
import { attemptName, renderJobManifest, renderTokenSecret } from '../../../../src/training/executors/kubernetes/index.js';
import { container, expectValidJob, gpuSpotLaunch, launch, poolOptions, render, renderSecret, TOKEN } from './fixtures.js';

describe('renderJobManifest', () => {
  it('renders a CPU attempt: one pod, run once, requests = limits, no GPU', () => {
    const job = render(launch());
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.metadata!.namespace).toBe('falaj-jobs');
    expect(job.spec!.backoffLimit).toBe(0);
    expect(job.spec!.completions).toBe(1);
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
    expect(job.spec!.ttlSecondsAfterFinished).toBe(3600);
    expect(job.spec!.activeDeadlineSeconds).toBeUndefined();
    expect(job.spec!.template.spec!.terminationGracePeriodSeconds).toBe(30);
    const c = container(job);
    expect(c.image).toBe('ghcr.io/acme/trainer:1.4.2');
    expect(c.command).toEqual(['python', '-m', 'trainer.fit', '--epochs', '20']);
    expect(c.resources).toEqual({ requests: { cpu: '4000m', memory: '16384Mi' }, limits: { cpu: '4000m', memory: '16384Mi' } });
    expect(job.spec!.template.spec!.tolerations).toBeUndefined();
    expect(job.spec!.template.spec!.nodeSelector).toBeUndefined();
  });

  it('labels the Job and its pods so the attempt can be found, and keeps raw names in annotations', () => {
    const job = render(launch({ jobId: 'job_01J9ZQ:odd id', project: 'Flights & Delays' }));
    const name = job.metadata!.name!;
    for (const labels of [job.metadata!.labels!, job.spec!.template.metadata!.labels!]) {
      expect(labels['app.kubernetes.io/managed-by']).toBe('falaj');
      expect(labels['falaj.dev/attempt-name']).toBe(name);
      expect(labels['falaj.dev/attempt']).toBe('1');
      expect(labels['falaj.dev/job-id']).toMatch(/^job_01J9ZQ-odd-id-[0-9a-f]{8}$/);
      expect(labels['falaj.dev/project']).toMatch(/^Flights-Delays-[0-9a-f]{8}$/);
    }
    expect(job.metadata!.annotations!['falaj.dev/job-id']).toBe('job_01J9ZQ:odd id');
    expect(job.metadata!.annotations!['falaj.dev/project']).toBe('Flights & Delays');
    expect(job.spec!.template.metadata!.annotations!['cluster-autoscaler.kubernetes.io/safe-to-evict']).toBe('false');
  });

  it('does not count a disruption as a failure: Ignore on DisruptionTarget, one pod at a time', () => {
    const job = render(launch());
    expect(job.spec!.podFailurePolicy).toEqual({ rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] });
    expect(job.spec!.podReplacementPolicy).toBe('Failed');
    const ending = render(launch(), poolOptions({ disruption: 'end-attempt' }));
    expect(ending.spec!.podFailurePolicy!.rules[0]!.action).toBe('FailJob');
  });

  it('renders a 2-GPU spot attempt with the GPU limit, the spot placement and a GPU toleration', () => {
    const options = poolOptions({
      nodeSelector: { 'cloud.google.com/gke-accelerator': 'nvidia-tesla-a100' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'training', effect: 'NoSchedule' }],
      spot: {
        nodeSelector: { 'cloud.google.com/gke-spot': 'true' },
        tolerations: [{ key: 'cloud.google.com/gke-spot', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
      },
      checkpointVolumeClaim: 'falaj-checkpoints',
    });
    const job = render(gpuSpotLaunch(), options);
    const c = container(job);
    expect(c.resources!.limits).toEqual({ cpu: '16000m', memory: '131072Mi', 'nvidia.com/gpu': '2' });
    expect(c.resources!.requests).toEqual(c.resources!.limits);
    const pod = job.spec!.template.spec!;
    expect(pod.nodeSelector).toEqual({ 'cloud.google.com/gke-accelerator': 'nvidia-tesla-a100', 'cloud.google.com/gke-spot': 'true' });
    expect(pod.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'training', effect: 'NoSchedule' },
      { key: 'cloud.google.com/gke-spot', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    // the device plugin decides GPU visibility in the pod
    expect(c.env!.map((e) => e.name)).not.toContain('CUDA_VISIBLE_DEVICES');
  });

  it('leaves the spot placement out on an on-demand flavor of the same pool options', () => {
    const options = poolOptions({ spot: { nodeSelector: { 'karpenter.sh/capacity-type': 'spot' } } });
    const onDemand = gpuSpotLaunch({ pool: { ...gpuSpotLaunch().pool, flavor: { name: 'a100-on-demand', gpuModel: 'A100', capacity: 'on-demand' } } });
    expect(render(onDemand, options).spec!.template.spec!.nodeSelector).toBeUndefined();
    expect(render(gpuSpotLaunch(), options).spec!.template.spec!.nodeSelector).toEqual({ 'karpenter.sh/capacity-type': 'spot' });
  });

  it('requests GPUs under the configured resource name (a MIG slice)', () => {
    const job = render(gpuSpotLaunch(), poolOptions({ gpuResourceName: 'nvidia.com/mig-1g.10gb' }));
    expect(container(job).resources!.limits!['nvidia.com/mig-1g.10gb']).toBe('2');
    expect(container(job).resources!.limits!['nvidia.com/gpu']).toBeUndefined();
  });

  it('mounts checkpoints from the PVC under <project>/<job id>, so every attempt of the job resumes from them', () => {
    const options = poolOptions({ checkpointVolumeClaim: 'falaj-checkpoints' });
    const first = render(launch(), options);
    const second = render(launch({ attempt: 2, checkpointDir: '/var/lib/falaj/jobs/job_01j9zq8k4m7vtcg2w6r5x3n1ab/attempt-2/checkpoint' }), options);
    for (const job of [first, second]) {
      expect(job.spec!.template.spec!.volumes).toContainEqual({ name: 'checkpoints', persistentVolumeClaim: { claimName: 'falaj-checkpoints' } });
      const mount = container(job).volumeMounts!.find((m) => m.name === 'checkpoints')!;
      expect(mount.subPath).toBe('flights/job_01j9zq8k4m7vtcg2w6r5x3n1ab');
    }
    expect(container(second).volumeMounts!.find((m) => m.name === 'checkpoints')!.mountPath).toBe('/var/lib/falaj/jobs/job_01j9zq8k4m7vtcg2w6r5x3n1ab/attempt-2/checkpoint');
  });

  it('uses an emptyDir for checkpoints without a PVC, and always for outputs', () => {
    const job = render(launch());
    const volumes = job.spec!.template.spec!.volumes!;
    expect(volumes).toContainEqual({ name: 'checkpoints', emptyDir: {} });
    expect(volumes).toContainEqual({ name: 'outputs', emptyDir: {} });
    expect(volumes).toContainEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '1024Mi' } });
    expect(container(job).volumeMounts).toEqual([
      { name: 'checkpoints', mountPath: launch().checkpointDir },
      { name: 'outputs', mountPath: launch().outputDir },
      { name: 'dshm', mountPath: '/dev/shm' },
    ]);
    const noShm = render(launch(), poolOptions({ sharedMemoryMiB: 0 }));
    expect(noShm.spec!.template.spec!.volumes!.map((v) => v.name)).toEqual(['checkpoints', 'outputs']);
  });

  it('mounts once when checkpoints and outputs share a directory', () => {
    const job = render(launch({ outputDir: launch().checkpointDir }));
    expect(container(job).volumeMounts!.map((m) => m.name)).toEqual(['checkpoints', 'dshm']);
  });

  it('sets activeDeadlineSeconds from the timeout plus the slack, and none without a timeout or when disabled', () => {
    expect(render(launch({ timeoutMs: 7_200_000 })).spec!.activeDeadlineSeconds).toBe(7260);
    expect(render(launch({ timeoutMs: 1_500 }), poolOptions({ activeDeadlineSlackSeconds: 0 })).spec!.activeDeadlineSeconds).toBe(2);
    expect(render(launch({ timeoutMs: 0 })).spec!.activeDeadlineSeconds).toBeUndefined();
    expect(render(launch({ timeoutMs: 7_200_000 }), poolOptions({ activeDeadline: 'none' })).spec!.activeDeadlineSeconds).toBeUndefined();
  });

  it('turns the grace period into whole seconds, rounding up', () => {
    expect(render(launch({ gracePeriodMs: 1 })).spec!.template.spec!.terminationGracePeriodSeconds).toBe(1);
    expect(render(launch({ gracePeriodMs: 0 })).spec!.template.spec!.terminationGracePeriodSeconds).toBe(0);
  });

  it('hardens the pod: non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp, no API token', () => {
    const job = render(launch());
    const pod = job.spec!.template.spec!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(job).securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, runAsNonRoot: true });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('renders the environment sorted, with FALAJ_* variables and thread counts', () => {
    const env = container(render(launch())).env!;
    const names = env.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(env).toContainEqual({ name: 'FALAJ_RUN_ID', value: 'run_7d41' });
    expect(env).toContainEqual({ name: 'FALAJ_TRACKING_URI', value: 'https://falaj.internal.example:8080' });
    expect(env).toContainEqual({ name: 'FALAJ_TRAINING_DATA', value: '/var/lib/falaj/datasets/ds_01/training.parquet' });
    expect(env).toContainEqual({ name: 'OMP_NUM_THREADS', value: '4' });
  });

  it('never writes the token into the Job: FALAJ_TOKEN and other credentials come from the Secret', () => {
    const l = launch({ env: { ...launch().env, HF_TOKEN: 'hf_abcdef', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' } });
    const job = render(l);
    const name = job.metadata!.name!;
    const text = JSON.stringify(job);
    for (const secret of [TOKEN, 'hf_abcdef', 'wJalrXUtnFEMI']) expect(text).not.toContain(secret);
    expect(stringify(job)).not.toContain(TOKEN);
    const env = container(job).env!;
    expect(env).toContainEqual({ name: 'FALAJ_TOKEN', valueFrom: { secretKeyRef: { name, key: 'FALAJ_TOKEN' } } });
    expect(env).toContainEqual({ name: 'MLFLOW_TRACKING_TOKEN', valueFrom: { secretKeyRef: { name, key: 'MLFLOW_TRACKING_TOKEN' } } });
    expect(env).toContainEqual({ name: 'AWS_ACCESS_KEY_ID', value: 'AKIAEXAMPLE' });

    const secret = renderSecret(l);
    expect(secret.metadata!.name).toBe(name);
    expect(secret.immutable).toBe(true);
    expect(Object.keys(secret.data!)).toEqual(['AWS_SECRET_ACCESS_KEY', 'FALAJ_TOKEN', 'HF_TOKEN', 'MLFLOW_TRACKING_TOKEN']);
    expect(Buffer.from(secret.data!.FALAJ_TOKEN!, 'base64').toString()).toBe(TOKEN);
    // every secretKeyRef points at a key the Secret has
    for (const e of env) if (e.valueFrom) expect(secret.data![e.valueFrom.secretKeyRef!.key]).toBeDefined();
  });

  it('renders no Secret when the attempt has nothing secret', () => {
    const { FALAJ_TOKEN: _a, MLFLOW_TRACKING_TOKEN: _b, ...env } = launch().env;
    expect(renderTokenSecret(launch({ env }), poolOptions())).toBeNull();
    expect(container(render(launch({ env }))).env!.every((e) => e.valueFrom === undefined)).toBe(true);
  });

  it('is deterministic: the same attempt renders to the same manifest, whatever the key order of its inputs', () => {
    const a = launch();
    const reversedEnv = Object.fromEntries(Object.entries(a.env).reverse());
    const options = poolOptions({ nodeSelector: { b: '2', a: '1' }, podLabels: { team: 'ml' } });
    const reordered = poolOptions({ podLabels: { team: 'ml' }, nodeSelector: { a: '1', b: '2' } });
    const first = render(a, options);
    expect(JSON.stringify(render({ ...a, env: reversedEnv }, reordered))).toBe(JSON.stringify(first));
    expect(JSON.stringify(render(a, options))).toBe(JSON.stringify(first));
  });

  it('adds the pool options: service account, image pull secrets, priority class, Kueue queue, pod labels and annotations', () => {
    const job = render(
      launch(),
      poolOptions({
        namespace: 'ml-training',
        serviceAccountName: 'trainer',
        imagePullSecrets: ['ghcr-pull'],
        priorityClassName: 'training-low',
        kueueQueueName: 'team-a',
        podLabels: { team: 'ml', 'falaj.dev/attempt': 'spoofed' },
        podAnnotations: { 'sidecar.istio.io/inject': 'false' },
      }),
    );
    const pod = job.spec!.template.spec!;
    expect(job.metadata!.namespace).toBe('ml-training');
    expect(pod.serviceAccountName).toBe('trainer');
    expect(pod.imagePullSecrets).toEqual([{ name: 'ghcr-pull' }]);
    expect(pod.priorityClassName).toBe('training-low');
    expect(job.metadata!.labels!['kueue.x-k8s.io/queue-name']).toBe('team-a');
    expect(job.spec!.template.metadata!.labels!.team).toBe('ml');
    // Falaj's own labels win: the executor selects pods by them
    expect(job.spec!.template.metadata!.labels!['falaj.dev/attempt']).toBe('1');
    expect(job.spec!.template.metadata!.annotations!['sidecar.istio.io/inject']).toBe('false');
  });

  it("takes the pool's image when the job names none, and refuses an attempt with no image at all", () => {
    expect(container(render(launch({ image: undefined }), poolOptions({ image: 'registry.local/falaj-trainer:0.1' }))).image).toBe('registry.local/falaj-trainer:0.1');
    const err = catchError(() => renderJobManifest(launch({ image: undefined }), poolOptions()));
    expect(isFalajError(err) && err.code).toBe('FALAJ_KUBERNETES_MANIFEST_INVALID');
    expect((err as Error).message).toMatch(/kubernetes\.image in compute pool k8s-cpu/);
  });

  it('refuses relative or escaping directories', () => {
    for (const dir of ['checkpoints', '/data/../etc']) {
      const err = catchError(() => renderJobManifest(launch({ checkpointDir: dir }), poolOptions()));
      expect(isFalajError(err) && err.code).toBe('FALAJ_KUBERNETES_MANIFEST_INVALID');
    }
  });

  it('is what the schema validation catches when a field is wrong (the check is not a formality)', () => {
    const job = render(launch());
    const broken = structuredClone(job);
    broken.spec!.template.spec!.containers[0]!.resources!.limits!.cpu = '4 cores';
    expect(() => new Job(broken).validate()).toThrow();
    const badPolicy = structuredClone(job);
    badPolicy.spec!.template.spec!.restartPolicy = 'Sometimes' as 'Never';
    expect(() => expectValidJob(badPolicy)).toThrow();
    const badName = structuredClone(job);
    badName.metadata!.name = 'Train_Delays';
    expect(() => expectValidJob(badName)).toThrow();
  });
});

describe('attemptName', () => {
  it('is a DNS-1123 label of at most 63 characters, with the hash of the job id and the attempt', () => {
    expect(attemptName('train-delays', 'job_1', 3)).toMatch(/^train-delays-[0-9a-f]{8}-3$/);
    expect(attemptName('Train_Delays v2!', 'job_1', 1)).toMatch(/^train-delays-v2-[0-9a-f]{8}-1$/);
    expect(attemptName('---', 'job_1', 1)).toMatch(/^job-[0-9a-f]{8}-1$/);
    const long = attemptName('x'.repeat(50) + '-' + 'y'.repeat(50), 'job_1', 12);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^x+-?y*-[0-9a-f]{8}-12$/);
  });

  it('tells apart two jobs of the same name, and two names that clean up alike', () => {
    expect(attemptName('train', 'job_a', 1)).not.toBe(attemptName('train', 'job_b', 1));
    expect(attemptName('Train', 'job_a', 1)).not.toBe(attemptName('train', 'job_a', 2));
  });

  it('renders a valid Job for awkward names', () => {
    for (const jobName of ['a', 'ALL_CAPS_NAME', 'x'.repeat(200), '9-starts-with-digit', 'ends-with-dash-', 'ümlaut-ñame']) {
      const job = render(launch({ jobName }));
      expect(job.metadata!.name!.length).toBeLessThanOrEqual(63);
    }
  });

  it('cuts a long name to exactly 63 characters, keeping the hash and the attempt', () => {
    const job = render(launch({ jobName: 'z'.repeat(100), attempt: 99 }));
    expect(job.metadata!.name).toMatch(/^z{51}-[0-9a-f]{8}-99$/);
    expect(job.metadata!.name!.length).toBe(63);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
