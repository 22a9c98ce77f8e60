import { ProtoWriter } from './protobuf-writer.js';
import type { TabularModel } from './tabular-model.js';

export interface OnnxExportOptions {
  /** more `metadata_props` (keys are kept as given; the `falaj.*` keys below win) */
  metadata?: Record<string, string> | undefined;
  producerVersion?: string | undefined;
}

/** Names of the graph's input and outputs: what a caller feeds and reads. */
export const ONNX_INPUT = 'features';
export const ONNX_OUTPUT = { binary: 'probability', regression: 'prediction' } as const;

const IR_VERSION = 8;
const OPSET = 13;
const FLOAT = 1; // TensorProto.DataType.FLOAT

// Field numbers from onnx/onnx.proto3.
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 };
const GRAPH = { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12 };
const NODE = { input: 1, output: 2, name: 3, opType: 4 };
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 };

/**
 * Encodes a fitted model as an ONNX `ModelProto` (IR version 8, default-domain opset 13),
 * with the preprocessing in the graph, so the file alone turns raw feature values into
 * predictions:
 *
 * ```
 * features [N,F] ─ IsNaN ─ Where(missing → mean) ─ Sub mean ─ Div std
 *   ─ (MatMul W_l ─ Add b_l ─ Relu) per hidden layer ─ MatMul W ─ Add b
 *   ─ Sigmoid → probability [N,1]                  (binary)
 *   ─ Mul target_std ─ Add target_mean → prediction [N,1]   (regression)
 * ```
 *
 * `metadata_props` carries `falaj.feature_names` (a JSON array, in input column order),
 * `falaj.task`, `falaj.label` and `falaj.trainer` (`tabular`). A missing value is sent as NaN.
 *
 * @example
 * await writeFile('model.onnx', exportOnnx(result.model));
 */
export function exportOnnx(model: TabularModel, options: OnnxExportOptions = {}): Uint8Array {
  const width = model.featureNames.length;
  const output = ONNX_OUTPUT[model.task];
  const initializers: { name: string; dims: number[]; values: Float32Array }[] = [
    { name: 'feature_mean', dims: [width], values: model.standardizer.mean },
    { name: 'feature_std', dims: [width], values: model.standardizer.std },
  ];
  const nodes: { op: string; inputs: string[]; output: string }[] = [
    { op: 'IsNaN', inputs: [ONNX_INPUT], output: 'features_missing' },
    { op: 'Where', inputs: ['features_missing', 'feature_mean', ONNX_INPUT], output: 'features_imputed' },
    { op: 'Sub', inputs: ['features_imputed', 'feature_mean'], output: 'features_centered' },
    { op: 'Div', inputs: ['features_centered', 'feature_std'], output: 'features_standardized' },
  ];
  let current = 'features_standardized';
  model.layers.forEach((layer, l) => {
    const last = l + 1 === model.layers.length;
    initializers.push({ name: `dense${l}_weight`, dims: [layer.inDim, layer.outDim], values: layer.weights });
    initializers.push({ name: `dense${l}_bias`, dims: [layer.outDim], values: layer.bias });
    nodes.push({ op: 'MatMul', inputs: [current, `dense${l}_weight`], output: `dense${l}_matmul` });
    nodes.push({ op: 'Add', inputs: [`dense${l}_matmul`, `dense${l}_bias`], output: last ? 'raw_output' : `dense${l}_linear` });
    if (!last) nodes.push({ op: 'Relu', inputs: [`dense${l}_linear`], output: `dense${l}_relu` });
    current = last ? 'raw_output' : `dense${l}_relu`;
  });
  if (model.task === 'binary') {
    nodes.push({ op: 'Sigmoid', inputs: [current], output });
  } else {
    const target = model.target ?? { mean: 0, std: 1 };
    initializers.push({ name: 'target_std', dims: [1], values: Float32Array.of(target.std) });
    initializers.push({ name: 'target_mean', dims: [1], values: Float32Array.of(target.mean) });
    nodes.push({ op: 'Mul', inputs: [current, 'target_std'], output: 'prediction_scaled' });
    nodes.push({ op: 'Add', inputs: ['prediction_scaled', 'target_mean'], output });
  }

  const metadata: Record<string, string> = {
    ...options.metadata,
    'falaj.feature_names': JSON.stringify(model.featureNames),
    'falaj.task': model.task,
    'falaj.label': model.label,
    'falaj.trainer': 'tabular',
    'falaj.missing_values': 'send NaN; replaced by the training mean',
  };

  const writer = new ProtoWriter()
    .varint(MODEL.irVersion, IR_VERSION)
    .string(MODEL.producerName, 'falaj')
    .string(MODEL.producerVersion, options.producerVersion ?? '0.1.0')
    .string(MODEL.docString, `Falaj tabular trainer: ${model.task} ${model.layers.length === 1 ? 'linear' : 'mlp'} model of "${model.label}"`)
    .message(MODEL.opsetImport, (w) => w.string(1, '').varint(2, OPSET))
    .message(MODEL.graph, (graph) => {
      nodes.forEach((node, i) =>
        graph.message(GRAPH.node, (w) => {
          for (const input of node.inputs) w.string(NODE.input, input);
          w.string(NODE.output, node.output).string(NODE.name, `${node.op.toLowerCase()}_${i}`).string(NODE.opType, node.op);
        }),
      );
      graph.string(GRAPH.name, 'falaj_tabular');
      for (const init of initializers) graph.message(GRAPH.initializer, (w) => tensor(w, init.name, init.dims, init.values));
      graph.message(GRAPH.input, (w) => valueInfo(w, ONNX_INPUT, ['N', width]));
      graph.message(GRAPH.output, (w) => valueInfo(w, output, ['N', 1]));
    });
  for (const [key, value] of Object.entries(metadata)) writer.message(MODEL.metadataProps, (w) => w.string(1, key).string(2, value));
  return writer.finish();
}

/** TensorProto of float32 values, little-endian in `raw_data` as ONNX requires. */
function tensor(w: ProtoWriter, name: string, dims: number[], values: Float32Array): void {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  w.packedVarints(TENSOR.dims, dims).varint(TENSOR.dataType, FLOAT).string(TENSOR.name, name).bytes(TENSOR.rawData, raw);
}

/** ValueInfoProto of a float32 tensor; a string dimension is symbolic (`dim_param`). */
function valueInfo(w: ProtoWriter, name: string, shape: (number | string)[]): void {
  w.string(1, name).message(2, (type) =>
    type.message(1, (tensorType) =>
      tensorType.varint(1, FLOAT).message(2, (s) => {
        for (const d of shape) s.message(1, (dim) => (typeof d === 'number' ? dim.varint(1, d) : dim.string(2, d)));
      }),
    ),
  );
}
