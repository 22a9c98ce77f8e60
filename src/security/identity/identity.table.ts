declare module '../../storage/metadata/db.js' {
  interface Db {
    principals: PrincipalTable;
    role_bindings: RoleBindingTable;
    api_tokens: ApiTokenTable;
  }
}

export interface PrincipalTable {
  id: string;
  kind: string;
  name: string;
  issuer: string | null;
  subject: string | null;
  created_at: string;
}

export interface RoleBindingTable {
  principal_id: string;
  project: string;
  role: string;
  created_at: string;
  created_by: string;
}

export interface ApiTokenTable {
  id: string;
  principal_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  project: string;
  role: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  last_used_at: string | null;
}
