declare module '../../storage/metadata/db.js' {
  interface Db {
    projects: ProjectTable;
  }
}

export interface ProjectTable {
  name: string;
  description: string;
  /** JSON array of region labels */
  allowed_regions: string;
  created_at: string;
  created_by: string;
  updated_at: string;
}
