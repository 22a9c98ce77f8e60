import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { ArtifactInfo, ArtifactStore } from '../artifact-contracts.js';
import type { ModelFile } from '../model-types.js';

/** A model file with where it lives in the run. */
export interface RunModelFile extends ModelFile {
  path: string;
}

/**
 * The files of a model logged under `path` in a run, named relative to `path` (the
 * names the signature lists, as in OpenSSF model signing), sorted by name. `path` may
 * also name a single file (`model.onnx`): that file alone is the model.
 */
export async function listModelFiles(artifacts: ArtifactStore, project: string, runId: string, path: string): Promise<RunModelFile[]> {
  const under = (a: ArtifactInfo) => path === '' || a.path === path || a.path.startsWith(`${path}/`);
  let found = (await artifacts.list(project, runId, path)).filter(under);
  if (found.length === 0 && path !== '') {
    // a store may list directories only: look for the file itself in its parent
    const parent = posix.dirname(path);
    found = (await artifacts.list(project, runId, parent === '.' ? '' : parent)).filter((a) => a.path === path);
  }
  const single = found.length === 1 && found[0]!.path === path;
  return found
    .map((a) => ({ name: single ? posix.basename(a.path) : path === '' ? a.path : a.path.slice(path.length + 1), sha256: a.sha256, bytes: Number(a.bytes), path: a.path }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const withoutPaths = (files: readonly RunModelFile[]): ModelFile[] => files.map(({ name, sha256, bytes }) => ({ name, sha256, bytes }));

export const subjects = (files: readonly ModelFile[]) => files.map(({ name, sha256 }) => ({ name, sha256 }));

/** Same names, digests and sizes (both sorted by name). */
export function sameFiles(a: readonly ModelFile[], b: readonly ModelFile[]): boolean {
  return a.length === b.length && a.every((f, i) => f.name === b[i]!.name && f.sha256 === b[i]!.sha256 && Number(f.bytes) === Number(b[i]!.bytes));
}

/** The model's ONNX file: `model.onnx` when there is one, else the first `.onnx` by name. */
export function onnxFileOf<T extends ModelFile>(files: readonly T[]): T | undefined {
  const onnx = files.filter((f) => f.name.toLowerCase().endsWith('.onnx'));
  return onnx.find((f) => posix.basename(f.name) === 'model.onnx') ?? onnx[0];
}

/** SHA-256 and length of a stream's bytes. */
export async function digestStream(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
