import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { OipError, OipInferRequest, OipInferResponse } from '../../../src/serving/oip/index.js';

// Fastify validates with Ajv; the binary decoder with TypeBox's compiler. Both must agree.
const ajv = new Ajv({ strict: true, allowUnionTypes: true });
const validators = [
  { name: 'Ajv', check: (schema: object, value: unknown) => ajv.validate(schema, value) },
  { name: 'TypeCompiler', check: (schema: object, value: unknown) => TypeCompiler.Compile(schema as typeof OipInferRequest).Check(value) },
];

const input = { name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] };

describe.each(validators)('OIP schemas ($name)', ({ check }) => {
  it('accepts the spec\'s example request, nested data of any depth, and parameters with any keys', () => {
    expect(check(OipInferRequest, { id: '42', inputs: [{ name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] }, { name: 'input1', shape: [3], datatype: 'BOOL', data: [true] }], outputs: [{ name: 'output0' }] })).toBe(true);
    expect(check(OipInferRequest, { inputs: [{ ...input, data: [[[1], [2]], [[3], [4]]] }] })).toBe(true);
    expect(check(OipInferRequest, { inputs: [{ ...input, datatype: 'BYTES', data: ['a', 'b'] }] })).toBe(true);
    expect(check(OipInferRequest, { parameters: { binary_data_output: true, priority: 3, tag: 'x' }, inputs: [{ ...input, parameters: { anything: 'goes' } }] })).toBe(true);
    expect(check(OipInferRequest, { inputs: [{ name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] })).toBe(true);
  });

  it('refuses unknown fields, unknown datatypes, negative or fractional dimensions, and no inputs', () => {
    expect(check(OipInferRequest, { inputs: [input], extra: 1 })).toBe(false);
    expect(check(OipInferRequest, { inputs: [{ ...input, dtype: 'FP32' }] })).toBe(false);
    expect(check(OipInferRequest, { inputs: [input], outputs: [{ name: 'y', binary: true }] })).toBe(false);
    expect(check(OipInferRequest, { inputs: [{ ...input, datatype: 'FLOAT32' }] })).toBe(false);
    expect(check(OipInferRequest, { inputs: [{ ...input, datatype: 'fp32' }] })).toBe(false);
    expect(check(OipInferRequest, { inputs: [{ ...input, shape: [-1, 2] }] })).toBe(false);
    expect(check(OipInferRequest, { inputs: [{ ...input, shape: [1.5] }] })).toBe(false);
    expect(check(OipInferRequest, { inputs: [] })).toBe(false);
    expect(check(OipInferRequest, { inputs: [{ ...input, data: 5 }] })).toBe(false);
    expect(check(OipInferRequest, { parameters: { nested: { a: 1 } }, inputs: [input] })).toBe(false);
  });

  it('describes responses with JSON or binary outputs, and the error body', () => {
    expect(check(OipInferResponse, { model_name: 'm', id: '42', outputs: [{ name: 'y', shape: [3, 2], datatype: 'FP32', data: [1, 1.1, 2, 2.1, 3, 3.1] }] })).toBe(true);
    expect(check(OipInferResponse, { model_name: 'm', outputs: [{ name: 'y', shape: [3, 2], datatype: 'FP32', parameters: { binary_data_size: 24 } }] })).toBe(true);
    expect(check(OipInferResponse, { outputs: [] })).toBe(false);
    expect(check(OipError, { error: 'input "x" has no data' })).toBe(true);
    expect(check(OipError, { error: 'x', code: 1 })).toBe(false);
  });
});
