declare module '../../storage/metadata/db.js' {
  interface Db {
    deployments: DeploymentTable;
    serving_stats: ServingStatsTable;
  }
}

export interface DeploymentTable {
  project: string;
  name: string;
  /** JSON DeploymentSpec */
  spec: string;
  /** JSON DeploymentStatus */
  status: string;
  /** JSON DeploymentSpec or null */
  previous_spec: string | null;
  revision: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface ServingStatsTable {
  project: string;
  deployment: string;
  variant: string;
  replica: string;
  window_end: string;
  requests: number;
  errors: number;
  /** JSON number[] */
  latency: string;
}
