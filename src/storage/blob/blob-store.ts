import type { Readable } from 'node:stream';

/** One stored object, as listed. */
export interface BlobInfo {
  key: string;
  bytes: number;
}

/**
 * Where artifacts' bytes live: a local directory (embedded default) or S3-compatible
 * storage. Keys are `/`-separated paths without a leading slash. Stores know nothing of
 * encryption or signing: the artifact store above them does both.
 */
export interface BlobStore {
  readonly engine: 'directory' | 's3';
  /** the region label the residency policy checks before any write */
  readonly region: string;
  /** Writes (or replaces) an object; a stream is never held whole in memory. */
  put(key: string, body: Buffer | Readable): Promise<BlobInfo>;
  /** Reads an object as a stream; a missing key is a NotFoundError `FALAJ_BLOB_NOT_FOUND`. */
  get(key: string): Promise<Readable>;
  /** Size of an object, or undefined when there is none. */
  head(key: string): Promise<BlobInfo | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<BlobInfo[]>;
  /** Removes an object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
