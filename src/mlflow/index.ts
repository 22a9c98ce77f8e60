export { mlflowRoutes, MLFLOW_API_PREFIX, MLFLOW_ARTIFACTS_PREFIX, type MlflowRoutesOptions } from './mlflow.routes.js';
export { PROJECT_HEADER, mlflowProjectOf } from './mlflow-project.js';
export { toMlflowError, type MlflowErrorBody, type MlflowErrorCode } from './mlflow-error.js';
