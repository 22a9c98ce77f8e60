import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../core/errors/index.js';
import type { DeploymentRoute } from '../deployments/deployment.schema.js';
import type { LiveDeployment, LiveDeployments } from '../live/live-deployments.js';
import { decodeBinaryInferRequest, decodeInferRequest, encodeBinaryInferResponse, type InferRequest, needsBinaryResponse, serializeInferResponse } from '../oip/index.js';
import type { PredictionService } from './prediction.service.js';
import { outputRows } from './model-feeds.js';
import { cloneFeeds, loggedTensorRows } from './tensor-rows.js';

/** A binary-extension body: the raw bytes and the JSON header's length. */
export interface BinaryBody {
  body: Uint8Array;
  headerLength: number;
}

/** An OIP answer: JSON text, or a binary-extension body with its header length. */
export type OipAnswer = { json: string } | { binary: Buffer; headerLength: number };

/**
 * Open Inference Protocol inference on a deployment: the model name is the deployment,
 * the traffic split picks the variant (sticky by the deployment's header) unless the URL
 * names a version. Tensors are checked against the version's ONNX signature, run through
 * the batcher, mirrored to shadows, counted and logged like prediction-API calls.
 */
export class OipInference {
  constructor(
    private readonly live: LiveDeployments,
    private readonly predictions: PredictionService,
  ) {}

  async infer(project: string, name: string, version: number | undefined, body: InferRequest, binary: BinaryBody | undefined, headers: Record<string, string | string[] | undefined>): Promise<OipAnswer> {
    const started = performance.now();
    const requestedAt = Date.now();
    const live = this.live.get(project, name);
    const route = version === undefined ? this.predictions.pick(live, undefined, headers) : routeOfVersion(live, version);
    const model = this.predictions.modelOf(live, route);
    const predictionId = body.id ?? randomUUID();
    const base = { live, route, model, shadow: false, protocol: 'oip' as const, predictionId, requestedAt, entities: [] as Record<string, unknown>[] };
    let rows = 0;
    try {
      const decoded = binary ? decodeBinaryInferRequest(binary.body, binary.headerLength, model.inputs, model.outputs) : decodeInferRequest(body, model.inputs, model.outputs);
      rows = decoded.rows;
      const logged = live.deployment.spec.logPredictions !== false;
      const features = logged ? loggedTensorRows(decoded.feeds, rows, model.featureNames) : [];
      if (live.mirrors.length) {
        const copy = cloneFeeds(decoded.feeds);
        this.predictions.runMirrors(live, async (_m, infer) => ({ features, outputs: outputRows(await infer(cloneFeeds(copy)), rows) }), { predictionId, requestedAt, entities: [], rows, protocol: 'oip' });
      }
      const outputs = await live.infer.get(route.name)!(decoded.feeds);
      const source = { modelName: name, modelVersion: model.version, ...(body.id !== undefined ? { id: body.id } : {}), outputs, ...(decoded.outputs ? { requested: decoded.outputs } : {}) };
      const answer: OipAnswer = needsBinaryResponse(decoded.outputs)
        ? (({ body: b, headerLength }) => ({ binary: b, headerLength }))(encodeBinaryInferResponse(source, { nonFinite: 'null' }))
        : { json: serializeInferResponse(source, { nonFinite: 'null' }) };
      this.predictions.done({ ...base, rows, latencyMs: performance.now() - started, error: null, features, outputs: logged ? outputRows(outputs, rows) : [] });
      return answer;
    } catch (err) {
      this.predictions.done({ ...base, rows, latencyMs: performance.now() - started, error: err, features: [], outputs: [] });
      throw err;
    }
  }
}

/** The route serving a version (`/v2/models/{m}/versions/{v}`): answering routes first, then mirrors. */
export function routeOfVersion(live: LiveDeployment, version: number): DeploymentRoute {
  const routes = [...live.routes.values()].sort((a, b) => Number(!!a.route.mirror) - Number(!!b.route.mirror));
  const found = routes.find((r) => r.version === version);
  if (!found) {
    throw new NotFoundError('FALAJ_MODEL_VERSION_NOT_FOUND', `deployment ${live.deployment.name} does not serve version ${version} (it serves ${[...new Set(routes.map((r) => r.version))].join(', ')})`);
  }
  return found.route;
}
