export { buildApp, type BuildAppOptions, type FalajApp } from './app.js';
export { startServer, closeOnSignals, type RunningServer } from './server.js';
