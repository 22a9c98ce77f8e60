import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { describe, expect, it } from 'vitest';
import { renderJobManifest, renderTokenSecret } from '../../../../src/training/executors/kubernetes/index.js';
import { expectValidJob, expectValidSecret, gpuSpotLaunch, launch, poolOptions } from './fixtures.js';

// `createNamespacedJob` sends a body through the generated client's ObjectSerializer,
// which keeps only the fields its models know. These tests run that serializer (no
// network) over what we render, so a field the client would silently drop fails here.

const everything = poolOptions({
  checkpointVolumeClaim: 'falaj-checkpoints',
  serviceAccountName: 'trainer',
  imagePullSecrets: ['ghcr-pull'],
  priorityClassName: 'training-low',
  kueueQueueName: 'team-a',
  nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' },
  tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
  spot: { nodeSelector: { 'karpenter.sh/capacity-type': 'spot' } },
});

describe('what @kubernetes/client-node sends', () => {
  it('keeps every field of a rendered Job', () => {
    const job = expectValidJob(renderJobManifest(gpuSpotLaunch({ timeoutMs: 3_600_000 }), everything));
    const sent = JSON.parse(JSON.stringify(ObjectSerializer.serialize(job, 'V1Job', '')));
    expect(sent).toEqual(job);
  });

  it('keeps every field of a rendered Secret', () => {
    const secret = expectValidSecret(renderTokenSecret(launch(), everything)!);
    const sent = JSON.parse(JSON.stringify(ObjectSerializer.serialize(secret, 'V1Secret', '')));
    expect(sent).toEqual(secret);
  });
});
