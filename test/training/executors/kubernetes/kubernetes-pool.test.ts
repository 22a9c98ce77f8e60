import { describe, expect, it } from 'vitest';
import { isFalajError } from '../../../../src/core/errors/index.js';
import { resolveKubernetesPoolOptions } from '../../../../src/training/executors/kubernetes/index.js';
import { gpuSpotLaunch, render } from './fixtures.js';

describe('resolveKubernetesPoolOptions', () => {
  it('fills the defaults', () => {
    expect(resolveKubernetesPoolOptions(undefined)).toEqual({
      namespace: 'falaj-jobs',
      nodeSelector: {},
      tolerations: [],
      spot: { nodeSelector: {}, tolerations: [] },
      gpuResourceName: 'nvidia.com/gpu',
      ttlSecondsAfterFinished: 3600,
      activeDeadline: 'job-timeout',
      activeDeadlineSlackSeconds: 60,
      disruption: 'replace-pod',
      sharedMemoryMiB: 1024,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      podLabels: {},
      podAnnotations: {},
    });
  });

  it('keeps what is given and does not change its input', () => {
    const raw = { namespace: 'ml', image: 'ghcr.io/acme/trainer:2', spot: { tolerations: [{ key: 'kubernetes.azure.com/scalesetpriority', operator: 'Equal', value: 'spot', effect: 'NoSchedule' }] } };
    const copy = structuredClone(raw);
    const options = resolveKubernetesPoolOptions(raw);
    expect(options.namespace).toBe('ml');
    expect(options.spot.tolerations).toHaveLength(1);
    expect(options.spot.nodeSelector).toEqual({});
    expect(raw).toEqual(copy);
    render(gpuSpotLaunch(), options);
  });

  it.each([
    [{ namespace: 'ML_Jobs' }, /kubernetes\.namespace/],
    [{ nodeSelector: { 'bad key!': 'x' } }, /kubernetes\.nodeSelector/],
    [{ tolerations: [{ key: 'a', operator: 'Sometimes' }] }, /kubernetes\.tolerations\.0\.operator/],
    [{ tolerations: [{ key: 'a', operator: 'Exists', value: 'b' }] }, /value must be empty when operator is Exists/],
    [{ tolerations: [{ operator: 'Equal', value: 'b' }] }, /without a key must use operator Exists/],
    [{ spot: { tolerations: [{ key: 'a', effect: 'NoSchedule', tolerationSeconds: 30 }] } }, /spot\.tolerations\.0\.tolerationSeconds needs effect NoExecute/],
    [{ ttlSecondsAfterFinished: -1 }, /ttlSecondsAfterFinished/],
    [{ disruption: 'retry' }, /disruption/],
    [{ checkpointVolumeClaim: 'Checkpoints' }, /checkpointVolumeClaim/],
    [{ imagePullSecret: 'x' }, /Unexpected property/],
    [{ podAnnotations: { 'not a key': 'x' } }, /podAnnotations/],
  ])('refuses %j with a message naming the key', (raw, message) => {
    let err: unknown;
    try {
      resolveKubernetesPoolOptions(raw);
    } catch (e) {
      err = e;
    }
    expect(isFalajError(err) && err.code).toBe('FALAJ_KUBERNETES_POOL_INVALID');
    expect((err as Error).message).toMatch(message);
  });

  it('accepts a toleration of every taint (no key, operator Exists)', () => {
    const options = resolveKubernetesPoolOptions({ tolerations: [{ operator: 'Exists' }] });
    expect(render(gpuSpotLaunch(), options).spec!.template.spec!.tolerations![0]).toEqual({ operator: 'Exists' });
  });
});
