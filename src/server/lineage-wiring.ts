import { createHash } from 'node:crypto';
import type { DatasetService, Materializer } from '../features/index.js';
import type { IngestionService } from '../data/ingestion/ingestion.service.js';
import { datasetName, errorMessageFacet, jobName, profiledDataset, runEvent, schemaFacet, type LineageService, type RunEvent } from '../data/lineage/index.js';
import type { ModelRegistry } from '../registry/index.js';

/** What a training job reports when it ends (TrainingRunnerOptions.onJobEnd). */
export interface EndedJob {
  id: string;
  project: string;
  name: string;
  runId: string;
  datasetId: string | null;
  status: string;
  model: { name: string; version: number } | null;
  error: string | null;
}

/**
 * Emits an OpenLineage run event for every ingestion, materialization, training-set
 * build, training job and model registration, so the graph runs from raw source to
 * feature view to training set to model. Emitting never fails the work it describes.
 */
export function lineageEmitters(lineage: LineageService) {
  const emit = (event: RunEvent) => {
    lineage.emit(event).catch((err: unknown) => process.emitWarning(err instanceof Error ? err : new Error(String(err)), { code: 'FALAJ_LINEAGE_WARNING' } as never));
  };
  return {
    emit,
    wire(services: { ingestions: IngestionService; materializer: Materializer; datasets: DatasetService; models: ModelRegistry }) {
      services.ingestions.onIngested((_ctx, ingestion, source) => {
        emit(runEvent({
          eventType: ingestion.status === 'rejected' ? 'FAIL' : 'COMPLETE',
          project: ingestion.project,
          job: jobName.ingest(source.name),
          runId: uuidOf(ingestion.id),
          eventTime: ingestion.createdAt,
          inputs: [{ namespace: 'file', name: ingestion.input.name }],
          outputs: ingestion.accepted > 0 ? [profiledDataset(datasetName.source(source.name), ingestion.profile, 'output')] : [],
          ...(ingestion.rejectedReason ? { runFacets: { errorMessage: errorMessageFacet(new Error(ingestion.rejectedReason)) } } : {}),
        }));
      });
      services.materializer.onEvent((_ctx, project, view, event) => {
        if (event.type !== 'view-done') return;
        emit(runEvent({
          eventType: 'COMPLETE',
          project,
          job: jobName.materialize(view.name),
          inputs: [datasetName.source(view.source.name)],
          outputs: [{ name: datasetName.view(view.name), facets: { schema: schemaFacet(Object.fromEntries(view.features.map((f) => [f.name, f.type]))) } }],
        }));
      });
      services.datasets.onBuilt((_ctx, dataset, service) => {
        emit(runEvent({
          eventType: 'COMPLETE',
          project: dataset.project,
          job: jobName.trainingSet(service.name),
          runId: uuidOf(dataset.id),
          eventTime: dataset.createdAt,
          inputs: [...new Set(service.views.map((v) => v.view.name))].map((v) => datasetName.view(v)),
          outputs: [datasetName.dataset(dataset.id)],
        }));
        // the service is made of its views: an edge per view, so "which models use this view" walks through it
        emit(runEvent({ eventType: 'COMPLETE', project: dataset.project, job: `define/${service.name}`, inputs: [...new Set(service.views.map((v) => v.view.name))].map((v) => datasetName.view(v)), outputs: [datasetName.service(service.name)] }));
      });
      services.models.onVersionCreated((_ctx, version) => {
        const inputs = [
          ...version.lineage.datasets.map((d) => datasetName.dataset(d.id)),
          ...(version.lineage.featureService ? [datasetName.service(version.lineage.featureService.name)] : []),
        ];
        emit(runEvent({ eventType: 'COMPLETE', project: version.project, job: jobName.register(version.model), eventTime: version.createdAt, inputs, outputs: [datasetName.model(version.model, version.version)] }));
      });
    },
    /** For the training runner: a job that ended, with the training set it read and the model it registered. */
    jobEnded(job: EndedJob) {
      emit(runEvent({
        eventType: job.status === 'succeeded' ? 'COMPLETE' : job.status === 'cancelled' ? 'ABORT' : 'FAIL',
        project: job.project,
        job: jobName.train(job.name),
        runId: uuidOf(job.runId),
        inputs: job.datasetId ? [datasetName.dataset(job.datasetId)] : [],
        outputs: job.model ? [datasetName.model(job.model.name, job.model.version)] : [],
        ...(job.error && job.status === 'failed' ? { runFacets: { errorMessage: errorMessageFacet(new Error(job.error)) } } : {}),
      }));
    },
  };
}

/** A stable UUID for one of our ids (OpenLineage run ids must be UUIDs): the same run always gets the same one. */
function uuidOf(id: string): string {
  const h = createHash('sha256').update(id).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
