/**
 * The code of one inference worker, as a string run with `new Worker(code, { eval: true })`:
 * the same code serves from `src/` (tests) and `dist/`, with no worker file to locate.
 * It holds ONNX Runtime sessions by model key and answers `load`, `infer` and `unload`
 * messages; tensors travel as transferable ArrayBuffers, never copied through JSON.
 */
export const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const sessions = new Map();

function toTensor(t) {
  if (t.type === 'string') return new ort.Tensor('string', t.data, t.dims);
  return new ort.Tensor(t.type, t.data, t.dims);
}

function fromTensor(t) {
  const data = t.data;
  if (Array.isArray(data)) return { value: { type: t.type, data, dims: t.dims }, transfer: [] };
  // copy out of ORT's buffer into one we own, so it can be transferred
  const copy = new data.constructor(data.length);
  copy.set(data);
  return { value: { type: t.type, data: copy, dims: t.dims }, transfer: [copy.buffer] };
}

async function handle(msg) {
  if (msg.op === 'load') {
    const session = await ort.InferenceSession.create(msg.bytes, workerData.sessionOptions);
    sessions.set(msg.key, session);
    return { value: { inputs: session.inputNames, outputs: session.outputNames }, transfer: [] };
  }
  if (msg.op === 'unload') {
    const s = sessions.get(msg.key);
    sessions.delete(msg.key);
    if (s) await s.release();
    return { value: true, transfer: [] };
  }
  if (msg.op === 'infer') {
    const session = sessions.get(msg.key);
    if (!session) throw Object.assign(new Error('model ' + msg.key + ' is not loaded'), { code: 'FALAJ_MODEL_NOT_LOADED' });
    const feeds = {};
    for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = toTensor(t);
    const out = await session.run(feeds, msg.outputs || undefined);
    const value = {};
    const transfer = [];
    for (const [name, t] of Object.entries(out)) {
      const r = fromTensor(t);
      value[name] = r.value;
      transfer.push(...r.transfer);
    }
    return { value, transfer };
  }
  throw new Error('unknown op ' + msg.op);
}

parentPort.on('message', (msg) => {
  handle(msg).then(
    ({ value, transfer }) => parentPort.postMessage({ id: msg.id, ok: true, value }, transfer),
    (err) => parentPort.postMessage({ id: msg.id, ok: false, code: err.code || 'FALAJ_INFERENCE_FAILED', message: String(err.message || err) }),
  );
});
`;
