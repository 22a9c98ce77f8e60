import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { DefinitionObject } from '../client/index.js';

export interface LoadedDefinitions {
  objects: DefinitionObject[];
  /** YAML syntax errors, with file and line */
  errors: { object: string; origin: string; message: string }[];
}

/**
 * Reads every `*.yaml` / `*.yml` under a directory (or one file), several documents
 * per file. A BatchSource's relative `path` is made absolute against its file's
 * directory, so definitions can sit beside their data.
 */
export async function loadDefinitionFiles(target: string): Promise<LoadedDefinitions> {
  const root = resolve(target);
  const files = (await stat(root)).isDirectory() ? await yamlFiles(root) : [root];
  const base = (await stat(root)).isDirectory() ? root : dirname(root);
  const objects: DefinitionObject[] = [];
  const errors: LoadedDefinitions['errors'] = [];
  for (const file of files) {
    const name = relative(base, file) || file;
    const docs = parseAllDocuments(await readFile(file, 'utf8'));
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      const origin = `${name}#${i + 1}`;
      if (doc.errors.length > 0) {
        for (const e of doc.errors) errors.push({ object: `document #${i + 1}`, origin: `${name}:${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0]! });
        return;
      }
      const spec = doc.toJSON() as Record<string, unknown> | null;
      if (spec === null || spec === undefined) return; // an empty document (a trailing ---)
      if (spec.kind === 'BatchSource' && typeof spec.path === 'string' && !isAbsolute(spec.path) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(spec.path)) {
        spec.path = resolve(dirname(file), spec.path);
      }
      objects.push({ spec, origin });
    });
  }
  return { objects, errors };
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') out.push(...(await yamlFiles(path)));
    else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) out.push(path);
  }
  return out;
}
