/**
 * The prediction log's encoding thread (see `SegmentWriter`): turns batches of prediction
 * records into JSON-lines segment files, so that the serving thread only hands them over.
 */
import { parentPort } from 'node:worker_threads';
import type { PredictionRecord } from '../contracts.js';
import { writeSegments } from './segment-files.js';

parentPort?.on('message', (message: { id: number; dir: string; records: PredictionRecord[] }) => {
  // writeSegments never rejects: every failure is in its answer
  void writeSegments(message.dir, message.records).then((result) => parentPort!.postMessage({ id: message.id, result }));
});
