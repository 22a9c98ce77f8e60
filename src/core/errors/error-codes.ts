/**
 * The one registry of stable error codes. A code never changes meaning once shipped;
 * clients (the CLI, the SDK, scripts) match on it, never on message text.
 *
 * Each code names the error class that carries it, so the HTTP layer can map it to a
 * status without knowing the domain (see `src/server/problem.ts`).
 */
export const ERROR_CODES = {
  // generic input and protocol errors
  FALAJ_BAD_REQUEST: 'Request is malformed',
  FALAJ_VALIDATION_FAILED: 'Request does not match the schema',
  FALAJ_INVALID_JSON: 'Request body is not valid JSON',
  FALAJ_UNSUPPORTED_MEDIA_TYPE: 'Content type is not supported',
  FALAJ_PAYLOAD_TOO_LARGE: 'Request body is larger than the limit',
  FALAJ_ROUTE_NOT_FOUND: 'No such route',
  FALAJ_METHOD_NOT_ALLOWED: 'Method not allowed on this route',
  FALAJ_INTERNAL: 'Internal error',
  FALAJ_UNAVAILABLE: 'Service is not ready',
  FALAJ_INVALID_DURATION: 'Duration is not valid',

  // configuration
  FALAJ_CONFIG_INVALID: 'Configuration is invalid',
  FALAJ_CONFIG_FILE_UNREADABLE: 'Configuration file cannot be read',

  // identity and access
  FALAJ_UNAUTHENTICATED: 'Authentication is required',
  FALAJ_TOKEN_INVALID: 'Token is not valid',
  FALAJ_TOKEN_EXPIRED: 'Token has expired',
  FALAJ_TOKEN_REVOKED: 'Token has been revoked',
  FALAJ_TOKEN_NOT_FOUND: 'Token not found',
  FALAJ_OIDC_TOKEN_INVALID: 'OIDC token is not valid',
  FALAJ_OIDC_NOT_CONFIGURED: 'OIDC is not configured',
  FALAJ_PERMISSION_DENIED: 'Permission denied',
  FALAJ_PERMISSION_UNDECLARED: 'Route declares no permission',
  FALAJ_ROLE_ESCALATION: 'Cannot grant a role above your own',

  // tenancy
  FALAJ_PROJECT_NOT_FOUND: 'Project not found',
  FALAJ_PROJECT_EXISTS: 'Project already exists',
  FALAJ_REGION_UNKNOWN: 'Region is not declared in configuration',

  // policy
  FALAJ_POLICY_RESIDENCY: 'Data residency policy violated',
  FALAJ_CLASSIFICATION_UNKNOWN: 'Classification level is not known',

  // audit and crypto
  FALAJ_AUDIT_CHAIN_BROKEN: 'Audit chain verification failed',
  FALAJ_CRYPTO_TAMPERED: 'Encrypted data failed its integrity check',
  FALAJ_CRYPTO_KEY_UNKNOWN: 'Encryption key id is not in the keyring',
  FALAJ_CRYPTO_KEY_INVALID: 'Key material is not valid',
  FALAJ_SIGNATURE_INVALID: 'Signature does not verify',

  // online feature store
  FALAJ_ONLINE_STORE_UNAVAILABLE: 'Online store cannot be reached',
  FALAJ_ONLINE_KEY_INVALID: 'Online store project or view name is not valid',

  // feature store
  FALAJ_FEATURE_DEFINITIONS_INVALID: 'Feature definitions are not valid',
  FALAJ_FEATURE_OBJECT_NOT_FOUND: 'Feature store object not found',
  FALAJ_FEATURE_VIEW_NOT_FOUND: 'Feature view not found',
  FALAJ_FEATURE_SERVICE_NOT_FOUND: 'Feature service not found',
  FALAJ_PUSH_SOURCE_NOT_FOUND: 'Push source not found',
  FALAJ_ENTITY_ROWS_INVALID: 'Entity rows are not valid',
  FALAJ_DATASET_NOT_FOUND: 'Dataset not found',
  FALAJ_MATERIALIZATION_BUSY: 'Another replica is materializing this view',

  // offline feature store
  FALAJ_OFFLINE_QUERY_FAILED: 'Offline store query failed',
  FALAJ_OFFLINE_SOURCE_NOT_FOUND: 'Offline source files not found',
  FALAJ_OFFLINE_ENGINE_CLOSED: 'Offline query engine is closed',
  FALAJ_SPINE_INVALID: 'Entity spine is not valid',
  FALAJ_TRAINING_SET_INVALID: 'Training set request is not valid',

  // blobs, artifacts, tracking, registry
  FALAJ_BLOB_NOT_FOUND: 'Blob not found',
  FALAJ_BLOB_STORE_UNAVAILABLE: 'Blob store cannot be reached',
  FALAJ_BLOB_KEY_INVALID: 'Blob key is not valid',
  FALAJ_BLOB_KEY_CONFLICT: 'Blob key clashes with a folder of other keys',
  FALAJ_ARTIFACT_NOT_FOUND: 'Artifact not found',
  FALAJ_ARTIFACT_TAMPERED: 'Artifact does not match its recorded digest or signature',
  FALAJ_ARTIFACT_PATH_INVALID: 'Artifact path is not valid',
  FALAJ_EXPERIMENT_NOT_FOUND: 'Experiment not found',
  FALAJ_EXPERIMENT_EXISTS: 'Experiment already exists',
  FALAJ_RUN_NOT_FOUND: 'Run not found',
  FALAJ_RUN_NOT_ACTIVE: 'Run is not active',
  FALAJ_PARAM_IMMUTABLE: 'Parameter already logged with another value',
  FALAJ_LIMIT_EXCEEDED: 'A tracking limit was exceeded',
  FALAJ_FILTER_INVALID: 'Search filter is not valid',
  FALAJ_MODEL_NOT_FOUND: 'Registered model not found',
  FALAJ_MODEL_EXISTS: 'Registered model already exists',
  FALAJ_MODEL_VERSION_NOT_FOUND: 'Model version not found',
  FALAJ_ALIAS_NOT_FOUND: 'Alias not found',
  FALAJ_ALIAS_RESERVED: 'Alias name is reserved',
  FALAJ_APPROVAL_REQUIRED: 'A second person must approve this',
  FALAJ_APPROVAL_NOT_FOUND: 'Alias approval request not found',
  FALAJ_APPROVAL_NOT_PENDING: 'Alias approval request was already decided',
  FALAJ_MODEL_VERSION_NOT_READY: 'Model version is not ready',
  FALAJ_MODEL_VERSION_IN_USE: 'Model version is the target of a protected alias',
  FALAJ_MODEL_UNSIGNED: 'Model version has no signature',
  FALAJ_ONNX_INVALID: 'ONNX model cannot be decoded',
  FALAJ_TAG_NOT_FOUND: 'Tag not found',

  // training
  FALAJ_POOL_NOT_FOUND: 'Compute pool not found',
  FALAJ_POOL_IN_USE: 'Compute pool has running attempts',
  FALAJ_QUEUE_NOT_FOUND: 'Training queue not found',
  FALAJ_JOB_NOT_FOUND: 'Training job not found',
  FALAJ_JOB_FINISHED: 'Training job has already finished',
  FALAJ_JOB_UNSCHEDULABLE: 'No pool and quota could ever hold this job',
  FALAJ_ATTEMPT_NOT_FOUND: 'Job attempt not found',

  // training: Kubernetes executor
  FALAJ_KUBERNETES_NOT_CONFIGURED: 'Kubernetes executor has no kubeconfig',
  FALAJ_KUBERNETES_POOL_INVALID: 'Kubernetes options of the compute pool are not valid',
  FALAJ_KUBERNETES_MANIFEST_INVALID: 'Attempt cannot be rendered as a Kubernetes Job',
  FALAJ_KUBERNETES_API_FAILED: 'Kubernetes API request failed',

  // serving
  FALAJ_MODEL_NOT_LOADED: 'Model is not loaded in the runtime',
  FALAJ_INFERENCE_FAILED: 'Inference failed',
  FALAJ_INFERENCE_INPUT_INVALID: 'Inference request tensors are not valid for the model',
  FALAJ_INFERENCE_BINARY_INVALID: 'Binary tensor data is malformed',
  FALAJ_INFERENCE_QUEUE_FULL: 'Too many inference requests are waiting',
  FALAJ_MODEL_NOT_SERVABLE: 'Model version has no ONNX file to serve',
  FALAJ_DEPLOYMENT_NOT_FOUND: 'Deployment not found',
  FALAJ_DEPLOYMENT_INVALID: 'Deployment is not valid',
  FALAJ_DEPLOYMENT_NOT_READY: 'Deployment is not ready to serve',
  FALAJ_DEPLOYMENT_NO_ROLLOUT: 'Deployment has no rollout in progress',
  FALAJ_PREDICTION_INPUT_INVALID: 'Prediction request is not valid for the deployment',
  FALAJ_PREDICTION_LOG_UNAVAILABLE: 'Prediction log cannot be read',

  // data ingestion
  FALAJ_INGESTION_NOT_FOUND: 'Ingestion not found',
  FALAJ_INGEST_SOURCE_INVALID: 'Source cannot take ingested rows',
  FALAJ_DATA_CONTRACT_INVALID: 'Source data contract is not valid',
  FALAJ_INGESTION_FAILED: 'Batch ingestion failed; nothing was written',

  // streams
  FALAJ_STREAM_UNAVAILABLE: 'Stream broker cannot be reached',
  FALAJ_STREAM_CONFIG_INVALID: 'Stream source settings are not valid',

  // lineage
  FALAJ_LINEAGE_NODE_NOT_FOUND: 'Lineage node not found',
  FALAJ_LINEAGE_EVENT_INVALID: 'Lineage event is not a valid OpenLineage RunEvent',
  FALAJ_LINEAGE_FORWARD_FAILED: 'Lineage event could not be forwarded',

  // client-side (CLI, SDK)
  FALAJ_NOT_LOGGED_IN: 'No credentials: run falaj login',
  FALAJ_SERVER_UNREACHABLE: 'Server cannot be reached',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
