import { Transform } from 'node:stream';
import { PayloadTooLargeError } from '../errors/index.js';

/** A pass-through stream that fails with `FALAJ_PAYLOAD_TOO_LARGE` once more than `max` bytes went through (uploads streamed to disk). */
export function byteLimit(max: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max) callback(new PayloadTooLargeError('FALAJ_PAYLOAD_TOO_LARGE', `${what} is larger than ${max} bytes`));
      else callback(null, chunk);
    },
  });
}
