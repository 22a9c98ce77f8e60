export type { OnlineRow, OnlineValue, OnlineWriteResult, OnlineStore } from './online-store.js';
// The engines themselves load on demand through createOnlineStore (ioredis only when a
// redis:// URL is configured); import an engine's file directly to build one by hand.
export type { SqliteOnlineStoreOptions } from './sqlite-online-store.js';
export type { RedisOnlineStoreOptions } from './redis-online-store.js';
export { createOnlineStore, isRedisUrl, type CreateOnlineStoreOptions } from './create-online-store.js';
