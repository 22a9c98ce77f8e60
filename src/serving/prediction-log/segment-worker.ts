/**
 * The prediction log's encoding thread (see `SegmentWriter`): turns batches of prediction
 * records into JSON-lines segment files, so that the serving thread only hands them over.
 */
import { parentPort } from 'node:worker_threads';
import type { PredictionRecord } from '../contracts.js';
import { writeSegments } from './segment-files.js';

// A batch arrives in chunks (see SegmentWriter): gathered by id until the last one.
const gathering = new Map<number, PredictionRecord[]>();

parentPort?.on('message', (message: { id: number; dir: string; records: PredictionRecord[]; last: boolean } | { id: number; abort: true }) => {
  if ('abort' in message) {
    gathering.delete(message.id);
    return;
  }
  const records = gathering.get(message.id) ?? [];
  for (const record of message.records) records.push(record);
  if (!message.last) {
    gathering.set(message.id, records);
    return;
  }
  gathering.delete(message.id);
  // writeSegments never rejects: every failure is in its answer
  void writeSegments(message.dir, records).then((result) => parentPort!.postMessage({ id: message.id, result }));
});
