export { FalajClient } from './falaj-client.js';
export { FalajApiError } from './api-error.js';
export { startRun, RunLogger, type StartRunOptions } from './run-logger.js';
export type { TransportOptions } from './transport.js';
export type * from './types.js';
