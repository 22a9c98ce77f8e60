import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ArtifactStore } from '../../registry/index.js';
import type { RequestContext } from '../../security/index.js';

/** Where one attempt keeps its files on the machine that runs it. */
export interface AttemptDirs {
  workDir: string;
  logFile: string;
  checkpointDir: string;
  outputDir: string;
}

export function attemptDirs(dataDir: string, jobId: string, attempt: number): AttemptDirs {
  const workDir = join(dataDir, 'jobs', jobId, `attempt-${attempt}`);
  return { workDir, logFile: join(workDir, 'output.log'), checkpointDir: join(workDir, 'checkpoint'), outputDir: join(workDir, 'output') };
}

export const logArtifactPath = (attempt: number): string => `logs/attempt-${attempt}.log`;
const CHECKPOINT_PREFIX = 'checkpoints';

/** Every file under a directory, as paths relative to it with `/` separators. */
export async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.push(relative(root, full).split(sep).join('/'));
    }
  }
  await walk(root);
  return out.sort();
}

/**
 * Saves an attempt's checkpoint directory under the job's run as
 * `checkpoints/attempt-<n>/…` (encrypted, content-addressed: unchanged files cost nothing).
 * Returns the number of files saved.
 */
export async function saveCheckpoint(artifacts: ArtifactStore, ctx: RequestContext, project: string, runId: string, attempt: number, dir: string): Promise<number> {
  const files = (await filesUnder(dir)).filter((f) => !f.split('/').some((part) => part.endsWith('.tmp')));
  for (const f of files) await artifacts.put(ctx, project, runId, `${CHECKPOINT_PREFIX}/attempt-${attempt}/${f}`, createReadStream(join(dir, f)));
  return files.length;
}

/**
 * Restores the newest saved checkpoint (of the latest attempt that saved one) into `dir`.
 * Returns the attempt it came from, or null when there is none.
 */
export async function restoreCheckpoint(artifacts: ArtifactStore, ctx: RequestContext, project: string, runId: string, dir: string): Promise<number | null> {
  const saved = await artifacts.list(project, runId, CHECKPOINT_PREFIX);
  const attempts = new Set(saved.map((a) => Number(/^checkpoints\/attempt-(\d+)\//.exec(a.path)?.[1])).filter((n) => Number.isInteger(n)));
  if (attempts.size === 0) return null;
  const latest = Math.max(...attempts);
  const prefix = `${CHECKPOINT_PREFIX}/attempt-${latest}/`;
  await mkdir(dir, { recursive: true });
  for (const a of saved.filter((s) => s.path.startsWith(prefix))) {
    const target = join(dir, ...a.path.slice(prefix.length).split('/'));
    await mkdir(dirname(target), { recursive: true });
    const { stream } = await artifacts.open(ctx, project, runId, a.path);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    await writeFile(target, Buffer.concat(chunks));
  }
  return latest;
}

/** Copies the attempt's log into the run's artifacts. */
export async function saveLog(artifacts: ArtifactStore, ctx: RequestContext, project: string, runId: string, attempt: number, logFile: string): Promise<boolean> {
  try {
    await stat(logFile);
  } catch {
    return false;
  }
  await artifacts.put(ctx, project, runId, logArtifactPath(attempt), createReadStream(logFile));
  return true;
}

/** Uploads the model output (a file or a directory under the output dir) as `model/…`; returns the files uploaded. */
export async function saveModelOutput(artifacts: ArtifactStore, ctx: RequestContext, project: string, runId: string, outputDir: string, path: string): Promise<string[]> {
  const source = join(outputDir, ...path.split('/'));
  const info = await stat(source).catch(() => undefined);
  if (!info) return [];
  const files = info.isDirectory() ? (await filesUnder(source)).map((f) => ({ rel: f, full: join(source, ...f.split('/')) })) : [{ rel: path.split('/').pop()!, full: source }];
  for (const f of files) await artifacts.put(ctx, project, runId, `model/${f.rel}`, createReadStream(f.full));
  return files.map((f) => f.rel);
}
