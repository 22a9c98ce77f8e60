export type { BlobInfo, BlobStore } from './blob-store.js';
export { createBlobStore, isS3Url, parseS3Url, type CreateBlobStoreOptions } from './create-blob-store.js';
export { createDirectoryBlobStore, type DirectoryBlobStoreOptions } from './directory-blob-store.js';
// Loading this file does not load the AWS SDK: createS3BlobStore imports it when called.
export { createS3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export { assertBlobKey, assertBlobPrefix, compareBlobKeys } from './blob-key.js';
