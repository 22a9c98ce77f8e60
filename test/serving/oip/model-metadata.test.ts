import { describe, expect, it } from 'vitest';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { readOnnxSignature } from '../../../src/registry/index.js';
import {
  elementKindOf,
  elementKindOfType,
  modelMetadata,
  OIP_DATATYPES,
  OipModelMetadata,
  OipServerMetadata,
  oipDatatypeOf,
  serverMetadata,
  tensorSpecsFrom,
} from '../../../src/serving/oip/index.js';
import { identityModel } from './identity-model.js';

const PAIRS: [string, string][] = [
  ['BOOL', 'bool'],
  ['UINT8', 'uint8'],
  ['UINT16', 'uint16'],
  ['UINT32', 'uint32'],
  ['UINT64', 'uint64'],
  ['INT8', 'int8'],
  ['INT16', 'int16'],
  ['INT32', 'int32'],
  ['INT64', 'int64'],
  ['FP16', 'float16'],
  ['FP32', 'float32'],
  ['FP64', 'float64'],
  ['BYTES', 'string'],
];

describe('datatypes', () => {
  it.each(PAIRS)('maps %s to ONNX Runtime\'s %s and back', (datatype, type) => {
    expect(elementKindOf(datatype)?.type).toBe(type);
    expect(elementKindOfType(type)?.datatype).toBe(datatype);
    expect(oipDatatypeOf(type)).toBe(datatype);
  });

  it('lists every OIP datatype, and names types it cannot carry without inventing a mapping', () => {
    expect(new Set(OIP_DATATYPES)).toEqual(new Set([...PAIRS.map(([d]) => d), 'BF16']));
    expect(elementKindOf('BF16')).toBeUndefined();
    expect(oipDatatypeOf('bfloat16')).toBe('BF16');
    expect(oipDatatypeOf('complex64')).toBe('COMPLEX64');
    expect(elementKindOf('fp32')).toBeUndefined(); // the spec: all strings are case-sensitive
  });
});

describe('model metadata', () => {
  it('describes a model in OIP terms, valid against the schema', () => {
    const metadata = modelMetadata(
      'churn',
      [1, '2'],
      [
        { name: 'features', type: 'float32', shape: [-1, 4] },
        { name: 'segment', type: 'string', shape: [-1] },
      ],
      [{ name: 'probability', type: 'float32', shape: [-1, 1] }],
    );
    expect(metadata).toEqual({
      name: 'churn',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'features', datatype: 'FP32', shape: [-1, 4] },
        { name: 'segment', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1, 1] }],
    });
    expect(TypeCompiler.Compile(OipModelMetadata).Check(metadata)).toBe(true);
    expect(modelMetadata('m', undefined, [], [])).not.toHaveProperty('versions');
  });

  it('describes the server, with the binary tensor data extension', () => {
    const metadata = serverMetadata('falaj', '0.1.0');
    expect(metadata).toEqual({ name: 'falaj', version: '0.1.0', extensions: ['binary_tensor_data'] });
    expect(TypeCompiler.Compile(OipServerMetadata).Check(metadata)).toBe(true);
  });

  it('reads TensorSpecs from the registry\'s signature of a real ONNX file: symbolic dimensions become -1', async () => {
    const model = identityModel([
      { name: 'x', type: 'float32', shape: ['batch', 3] },
      { name: 'ids', type: 'int64', shape: [2, 'n'] },
      { name: 'flag', type: 'bool', shape: [] },
    ]);
    const signature = await readOnnxSignature(model.bytes);
    expect(tensorSpecsFrom(signature.inputs)).toEqual([
      { name: 'x', type: 'float32', shape: [-1, 3] },
      { name: 'ids', type: 'int64', shape: [2, -1] },
      { name: 'flag', type: 'bool', shape: [] },
    ]);
    expect(tensorSpecsFrom(signature.outputs).map((s) => s.name)).toEqual(['x_out', 'ids_out', 'flag_out']);
    expect(tensorSpecsFrom(signature.inputs)).toEqual(model.inputs);
  });

  it('turns unknown dimensions and an undeclared rank into -1', () => {
    expect(
      tensorSpecsFrom([
        { name: 'a', kind: 'tensor', elemType: 'float16', shape: [null, 8] },
        { name: 'b', kind: 'tensor', elemType: 'float32', shape: null },
        { name: 'c', kind: 'sequence', elemType: null, shape: null },
      ]),
    ).toEqual([
      { name: 'a', type: 'float16', shape: [-1, 8] },
      { name: 'b', type: 'float32', shape: [-1] },
      { name: 'c', type: 'sequence', shape: [-1] },
    ]);
  });
});
