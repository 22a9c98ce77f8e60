/**
 * The Kubernetes executor: each training attempt as a `batch/v1` Job. See
 * docs/kubernetes-executor.md. `@kubernetes/client-node` loads only when the executor
 * first talks to a cluster; rendering and status mapping need nothing but this folder.
 */
export { KubernetesExecutor, parseExternalId, type KubernetesExecutorOptions } from './kubernetes-executor.js';
export { KubernetesPoolSchema, TolerationSchema, resolveKubernetesPoolOptions, type KubernetesPoolOptions, type Toleration } from './kubernetes-pool.js';
export {
  renderJobManifest,
  renderTokenSecret,
  attemptLabels,
  isSecretEnvName,
  ATTEMPT_NAME_LABEL,
  MANAGED_BY_LABEL,
  TRAINER_CONTAINER,
} from './render-job.js';
export { renderJobPreview, PLACEHOLDER_TOKEN, PLACEHOLDER_TRACKING_URI } from './preview.js';
export { mapJobStatus, disruptionOf, isJobFinished, type AttemptState, type ObservedJob, type ObservedPod, type ObservedCondition } from './job-status.js';
export { attemptName, labelValue } from './names.js';
export { connectKubernetes, kubernetesError, type KubeApi, type KubeConnection, type ObjectRef } from './kube-api.js';
