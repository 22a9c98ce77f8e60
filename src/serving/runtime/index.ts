export { OnnxWorkerPool, type OnnxWorkerPoolOptions, type LoadedModel, type Tensor, type TensorType, type TensorArray } from './onnx-worker-pool.js';
