declare module '../../storage/metadata/db.js' {
  interface Db {
    model_aliases: ModelAliasTable;
    alias_approvals: AliasApprovalTable;
    registry_settings: RegistrySettingsTable;
  }
}

export interface ModelAliasTable {
  project: string;
  model: string;
  alias: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface AliasApprovalTable {
  id: string;
  project: string;
  model: string;
  alias: string;
  version: number;
  requested_by: string;
  requested_at: string;
  approved_by: string | null;
  approved_at: string | null;
  /** pending | approved | applied | rejected */
  status: string;
  note: string | null;
}

/** Per-project registry settings; a project without a row has the defaults. */
export interface RegistrySettingsTable {
  project: string;
  /** 1: moving a protected alias needs a second person's approval */
  require_approval: number;
  updated_at: string;
  updated_by: string;
}
