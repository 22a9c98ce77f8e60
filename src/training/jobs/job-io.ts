import type { DatasetService } from '../../features/index.js';
import type { ArtifactStore, ModelRegistry } from '../../registry/index.js';
import { SYSTEM_PRINCIPAL, type RequestContext } from '../../security/index.js';
import type { Db } from '../../storage/metadata/index.js';
import type { TrackingService } from '../../tracking/index.js';
import type { Kysely } from 'kysely';
import type { TrainingJobSpec } from '../definitions/spec.schema.js';
import { saveModelOutput } from './attempt-files.js';
import * as repo from './training.repository.js';
import type { TrainingJobTable } from './training.table.js';

/** What a job's inputs and outputs need of the platform. */
export interface JobIoDeps {
  db: Kysely<Db>;
  datasets: DatasetService;
  tracking: TrackingService;
  artifacts: ArtifactStore;
  models: ModelRegistry;
}

/** Builds the job's training set once (first attempt) and records it as the run's input. */
export async function buildTrainingData(o: JobIoDeps, job: TrainingJobTable, spec: TrainingJobSpec): Promise<string | null> {
  const input = spec.inputs?.trainingData;
  if (!input) return null;
  if (job.training_data_path) return job.training_data_path;
  const dataset = await o.datasets.build({ principal: SYSTEM_PRINCIPAL, requestId: job.id }, job.project, { featureService: input.featureService, spinePath: input.spine });
  const { path } = await o.datasets.get(job.project, dataset.id);
  await repo.updateJob(o.db, job.id, { dataset_id: dataset.id, training_data_path: path });
  await o.tracking.logInputs(job.project, job.run_id, [
    // MLflow caps a digest at 36 characters; the source carries the whole SHA-256
    { name: dataset.id, digest: dataset.sha256.slice(0, 36), sourceType: 'falaj-dataset', source: `falaj:datasets/${dataset.id}@sha256:${dataset.sha256}`, tags: { 'mlflow.data.context': 'training' } },
  ]);
  return path;
}

/** Uploads the job's model output to its run and registers it, with the training set and feature service as lineage. */
export async function registerJobModel(o: JobIoDeps, ctx: RequestContext, job: TrainingJobTable, spec: TrainingJobSpec, outputDir: string): Promise<number> {
  const out = spec.outputs!.registerModel!;
  const path = out.path ?? 'model.onnx';
  const files = await saveModelOutput(o.artifacts, ctx, job.project, job.run_id, outputDir, path);
  // a pod's output directory is not on this machine: there the job uploads `model/…` to its run itself
  if (files.length === 0 && (await o.artifacts.list(job.project, job.run_id, 'model')).length === 0) {
    throw new Error(`the job wrote no ${path} under FALAJ_OUTPUT_DIR (and uploaded no model/ artifacts to its run)`);
  }
  await o.models.getModel(job.project, out.name).catch(async () => o.models.createModel(ctx, job.project, { name: out.name }));
  const fresh = await repo.findJob(o.db, job.id);
  const dataset = fresh?.dataset_id ? await o.datasets.get(job.project, fresh.dataset_id) : undefined;
  const version = await o.models.createVersion(ctx, job.project, out.name, {
    source: `runs:/${job.run_id}/model`,
    ...(out.description ? { description: out.description } : {}),
    tags: { 'falaj.job.id': job.id },
    lineage: {
      ...(dataset ? { datasets: [{ id: dataset.id, sha256: dataset.sha256 }], featureService: { name: dataset.featureService, version: dataset.featureServiceVersion } } : {}),
    },
  });
  return version.version;
}
