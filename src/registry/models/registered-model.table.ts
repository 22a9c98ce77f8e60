declare module '../../storage/metadata/db.js' {
  interface Db {
    registered_models: RegisteredModelTable;
  }
}

export interface RegisteredModelTable {
  project: string;
  name: string;
  description: string;
  /** JSON object of string tags */
  tags: string;
  /** the most protected classification of any of its versions */
  classification: string;
  /** highest version number ever given (never reused) */
  last_version: number;
  created_at: string;
  created_by: string;
  updated_at: string;
}
