// bench/tracking: a large artifact up and down (encrypted at rest, verified on the way
// out) beside the floors: fs.copyFile of the same file, and reading it with a SHA-256.
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { median } from '../lib.js';
import { PROJECT } from './engine.js';

const MiB = 1024 * 1024;

/** Writes `bytes` of random data to `path`. */
export function randomFile(path, bytes) {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4 * MiB);
  try {
    for (let left = bytes; left > 0; left -= chunk.length) {
      randomFillSync(chunk);
      writeSync(fd, chunk, 0, Math.min(chunk.length, left));
    }
  } finally {
    closeSync(fd);
  }
}

export async function sha256File(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk);
  return hash.digest('hex');
}

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t) / 1000, value };
}

/** The floors, `repeats` times each (the file in the page cache, as for the server). */
export async function artifactFloors(source, dir, bytes, repeats) {
  const copyS = [];
  const hashS = [];
  let sha256;
  for (let i = 0; i < repeats; i++) {
    const target = join(dir, `copy-${i}.bin`);
    copyS.push((await timed(() => copyFile(source, target))).seconds);
    rmSync(target);
    const h = await timed(() => sha256File(source));
    hashS.push(h.seconds);
    sha256 = h.value;
  }
  return { sha256, copyS: median(copyS), hashS: median(hashS), mb: bytes / MiB };
}

/** logArtifact once (a new run, so nothing is deduplicated), downloadArtifact `repeats` times. */
export async function artifactRoundTrip(client, experimentId, source, sha256, dir, repeats) {
  const run = await client.tracking.createRun(PROJECT, { experimentId, name: 'artifact-bench' });
  const up = await timed(() => client.tracking.logArtifact(PROJECT, run.info.id, 'model/weights.bin', source));
  if (up.value.sha256 !== sha256) throw new Error(`upload recorded sha256 ${up.value.sha256}, the file's is ${sha256}`);
  const downS = [];
  for (let i = 0; i < repeats; i++) {
    const target = join(dir, `download-${i}.bin`);
    const down = await timed(() => client.tracking.downloadArtifact(PROJECT, run.info.id, 'model/weights.bin', target));
    downS.push(down.seconds);
    if (down.value['x-falaj-sha256'] !== sha256) throw new Error(`download header sha256 ${down.value['x-falaj-sha256']}, expected ${sha256}`);
    if (i === 0 && (await sha256File(target)) !== sha256) throw new Error('the downloaded file differs from the uploaded one');
    rmSync(target);
  }
  return { uploadS: up.seconds, downloadS: median(downS) };
}
