export type { Db } from './db.js';
export { openMetadataDatabase, type MetadataDatabase, type MetadataDialect, type DbOrTx, type OpenMetadataOptions } from './database.js';
export { migrateToLatest } from './migrate.js';
export { acquireLease, releaseLease } from './lease.js';
