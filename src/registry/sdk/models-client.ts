import type { AliasApproval, AliasChange, ApprovalStatus, ModelAlias, ModelVersion, RegisteredModel, RegistrySettings, Tags, VersionVerification } from '../model-types.js';
import type { LineageInput } from '../lineage/lineage.js';
import type { Classification } from '../../security/policy/classification.js';

/**
 * The model registry half of the typed SDK (`FalajClient.models`). Type-only imports:
 * loading it loads no server code.
 */

/** What the registry client needs of the SDK's transport. */
export interface JsonTransport {
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  download(path: string, filePath: string): Promise<Record<string, string | string[] | undefined>>;
}

export interface RegisterVersionRequest {
  /** `runs:/<run_id>/<path>`, or an external location */
  source: string;
  runId?: string;
  artifactPath?: string;
  description?: string;
  tags?: Tags;
  lineage?: LineageInput;
  classification?: Classification;
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | boolean | string[] | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${enc(k)}=${enc(String(item))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

const tagFilter = (tags: Tags | undefined) => (tags ? Object.entries(tags).map(([k, v]) => `${k}=${v}`) : undefined);

/**
 * @example
 * const v = await falaj.models.register('fraud', 'scorer', { source: `runs:/${runId}/model` });
 * await falaj.models.setAlias('fraud', 'scorer', 'champion', v.version);
 */
export function modelsClient(t: JsonTransport) {
  const base = (project: string) => `/api/v1/projects/${enc(project)}/models`;
  const model = (project: string, name: string) => `${base(project)}/${enc(name)}`;
  const version = (project: string, name: string, v: number) => `${model(project, name)}/versions/${v}`;
  return {
    list: (project: string, q: { nameLike?: string; tags?: Tags; orderBy?: 'name' | 'createdAt' | 'updatedAt'; descending?: boolean; maxResults?: number; pageToken?: string } = {}) =>
      t.json<{ models: RegisteredModel[]; nextPageToken: string | null }>('GET', `${base(project)}${query({ nameLike: q.nameLike, tag: tagFilter(q.tags), orderBy: q.orderBy, descending: q.descending, maxResults: q.maxResults, pageToken: q.pageToken })}`),
    create: (project: string, input: { name: string; description?: string; tags?: Tags }) => t.json<RegisteredModel>('POST', base(project), input),
    get: (project: string, name: string) => t.json<RegisteredModel>('GET', model(project, name)),
    update: (project: string, name: string, description: string) => t.json<RegisteredModel>('PATCH', model(project, name), { description }),
    rename: (project: string, name: string, newName: string) => t.json<RegisteredModel>('POST', `${model(project, name)}/rename`, { name: newName }),
    delete: (project: string, name: string) => t.json<void>('DELETE', model(project, name)),
    setTag: (project: string, name: string, key: string, value: string) => t.json<RegisteredModel>('PUT', `${model(project, name)}/tags/${enc(key)}`, { value }),
    deleteTag: (project: string, name: string, key: string) => t.json<RegisteredModel>('DELETE', `${model(project, name)}/tags/${enc(key)}`),

    /** Registers a new version (from `runs:/RUN/PATH`: signed, ONNX signature read). */
    register: (project: string, name: string, request: RegisterVersionRequest) => t.json<ModelVersion>('POST', `${model(project, name)}/versions`, request),
    versions: (project: string, name: string, q: { runId?: string; tags?: Tags; maxResults?: number; pageToken?: string } = {}) =>
      t.json<{ versions: ModelVersion[]; nextPageToken: string | null }>('GET', `${model(project, name)}/versions${query({ runId: q.runId, tag: tagFilter(q.tags), maxResults: q.maxResults, pageToken: q.pageToken })}`),
    getVersion: (project: string, name: string, v: number) => t.json<ModelVersion>('GET', version(project, name, v)),
    updateVersion: (project: string, name: string, v: number, description: string) => t.json<ModelVersion>('PATCH', version(project, name, v), { description }),
    deleteVersion: (project: string, name: string, v: number) => t.json<void>('DELETE', version(project, name, v)),
    setVersionTag: (project: string, name: string, v: number, key: string, value: string) => t.json<ModelVersion>('PUT', `${version(project, name, v)}/tags/${enc(key)}`, { value }),
    deleteVersionTag: (project: string, name: string, v: number, key: string) => t.json<ModelVersion>('DELETE', `${version(project, name, v)}/tags/${enc(key)}`),
    /** Throws `FALAJ_ARTIFACT_TAMPERED` / `FALAJ_SIGNATURE_INVALID` when the files do not match their signature. */
    verify: (project: string, name: string, v: number, deep = true) => t.json<VersionVerification>('POST', `${version(project, name, v)}/verify${query({ deep })}`),
    /** Downloads one file after the server verified the signature; returns the signed SHA-256. */
    download: async (project: string, name: string, v: number, file: string, filePath: string) =>
      (await t.download(`${version(project, name, v)}/files/${file.split('/').map(enc).join('/')}`, filePath))['x-falaj-sha256'] as string | undefined,

    aliases: async (project: string, name: string) => (await t.json<{ aliases: ModelAlias[] }>('GET', `${model(project, name)}/aliases`)).aliases,
    /** Moves an alias; `applied: false` means an approval request was filed instead. */
    setAlias: (project: string, name: string, alias: string, v: number) => t.json<AliasChange>('PUT', `${model(project, name)}/aliases/${enc(alias)}`, { version: v }),
    getByAlias: (project: string, name: string, alias: string) => t.json<ModelVersion>('GET', `${model(project, name)}/aliases/${enc(alias)}`),
    deleteAlias: (project: string, name: string, alias: string) => t.json<void>('DELETE', `${model(project, name)}/aliases/${enc(alias)}`),

    approvals: async (project: string, status?: ApprovalStatus) => (await t.json<{ approvals: AliasApproval[] }>('GET', `${base(project)}/-/approvals${query({ status })}`)).approvals,
    approve: (project: string, approvalId: string) => t.json<{ approval: AliasApproval; alias: ModelAlias }>('POST', `${base(project)}/-/approvals/${enc(approvalId)}/approve`),
    reject: (project: string, approvalId: string, note?: string) => t.json<AliasApproval>('POST', `${base(project)}/-/approvals/${enc(approvalId)}/reject`, note === undefined ? {} : { note }),
    settings: (project: string) => t.json<RegistrySettings>('GET', `${base(project)}/-/settings`),
    updateSettings: (project: string, patch: { requireApproval: boolean }) => t.json<RegistrySettings>('PUT', `${base(project)}/-/settings`, patch),
  };
}

export type ModelsClient = ReturnType<typeof modelsClient>;
