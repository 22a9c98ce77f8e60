export { createArtifactStore, casKey, type ArtifactStoreOptions, type ProjectLookup } from './artifact-store.js';
export { encryptStream, decryptStream, type EncryptStreamOptions, type DecryptStreamOptions } from './chunked-envelope.js';
export { DEFAULT_SEGMENT_BYTES } from './chunked-envelope-format.js';
export type { RunArtifactTable } from './run-artifact.table.js';
