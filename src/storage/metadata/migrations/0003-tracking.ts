import { sql, type Kysely } from 'kysely';

/**
 * Experiment tracking, modelled on MLflow's store: experiments (with MLflow's numeric id
 * beside ours), runs, immutable params, overwritable tags, append-only metric history,
 * and `latest_metrics`, kept up to date on every write so that search never scans
 * history. Times of runs and metric points are epoch milliseconds (`bigint`), values
 * `double precision`: numbers that mean the same on SQLite (INTEGER / REAL affinity) and
 * PostgreSQL (int8 / float8), so filters and ordering compare numbers on both.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('experiments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('mlflow_id', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('artifact_location', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('experiments_project_name').on('experiments').columns(['project', 'name']).unique().execute();
  await db.schema.createIndex('experiments_project_mlflow_id').on('experiments').columns(['project', 'mlflow_id']).unique().execute();

  await db.schema
    .createTable('experiment_tags')
    .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('deleted_time', 'bigint')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  // search: one experiment (or all of a project), newest first by default
  await db.schema.createIndex('runs_experiment_start').on('runs').columns(['experiment_id', 'start_time']).execute();
  await db.schema.createIndex('runs_project_start').on('runs').columns(['project', 'start_time']).execute();

  // The primary keys (run_id, key) are the per-run lookups the search's EXISTS use.
  await db.schema
    .createTable('run_params')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_params_pk', ['run_id', 'key'])
    .execute();
  // A 6,000-character value would overflow PostgreSQL's B-tree entry limit (~2,700 bytes),
  // so the value side of the index is a 200-character prefix; equality filters repeat the
  // prefix predicate so both planners can use it.
  await sql`create index run_params_key_value on run_params (${sql.ref('key')}, substr(${sql.ref('value')}, 1, 200))`.execute(db);

  await db.schema
    .createTable('run_tags')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_tags_pk', ['run_id', 'key'])
    .execute();

  // Append-only history. The primary key orders a metric's points for paging and makes
  // re-sending the same point (a client retrying a batch) a no-op, as in MLflow. No
  // foreign key, unlike the small tables: its per-row check cost PostgreSQL a third of
  // its logging throughput, and every write checks the run, active, in the same
  // transaction (runs are only ever soft-deleted).
  await db.schema
    .createTable('run_metrics')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('is_nan', 'integer', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_metrics_pk', ['run_id', 'key', 'step', 'timestamp', 'is_nan', 'value'])
    .execute();

  await db.schema
    .createTable('latest_metrics')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('is_nan', 'integer', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('latest_metrics_pk', ['run_id', 'key'])
    .execute();
  await db.schema.createIndex('latest_metrics_key_value').on('latest_metrics').columns(['key', 'value']).execute();

  await db.schema
    .createTable('run_inputs')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('schema', 'text')
    .addColumn('profile', 'text')
    .addColumn('context', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_inputs_pk', ['run_id', 'name', 'digest'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['run_inputs', 'latest_metrics', 'run_metrics', 'run_tags', 'run_params', 'runs', 'experiment_tags', 'experiments']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
