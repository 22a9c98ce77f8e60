import { describe, expect, it } from 'vitest';
import { backoffMs, flavorName, jobRequirements, parseCpuMilli, parseMemoryMiB, parseNvidiaSmiList, poolState, queueQuotas } from '../../../src/training/index.js';
import type { ComputePoolSpec, TrainingJobSpec } from '../../../src/training/index.js';

describe('quantities', () => {
  it('reads CPU and memory the Kubernetes way', () => {
    expect(parseCpuMilli(2)).toBe(2000);
    expect(parseCpuMilli('0.5')).toBe(500);
    expect(parseCpuMilli('1500m')).toBe(1500);
    expect(parseMemoryMiB('4Gi')).toBe(4096);
    expect(parseMemoryMiB('512Mi')).toBe(512);
    expect(parseMemoryMiB('1G')).toBe(954);
    expect(parseMemoryMiB(300)).toBe(300);
    expect(() => parseCpuMilli('two')).toThrow(/not a CPU amount/);
    expect(() => parseMemoryMiB('4 GB')).toThrow(/not a memory amount/);
  });
});

describe('nvidia-smi -L', () => {
  it('counts GPUs and names the model', () => {
    const h100 = 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1b2c3d4e-0000-1111-2222-333344445555)\nGPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-aaaa)\n';
    expect(parseNvidiaSmiList(h100)).toEqual({ count: 2, model: 'H100' });
    expect(parseNvidiaSmiList('GPU 0: Tesla T4 (UUID: GPU-x)\n')).toEqual({ count: 1, model: 'T4' });
    expect(parseNvidiaSmiList('GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-x)\n  MIG 3g.20gb Device 0: (UUID: MIG-x)\n')).toEqual({ count: 1, model: 'A100-SXM4-40GB' });
    expect(parseNvidiaSmiList('GPU 0: NVIDIA GeForce RTX 4090 (UUID: GPU-x)\n')).toEqual({ count: 1, model: 'RTX-4090' });
    expect(parseNvidiaSmiList('')).toEqual({ count: 0, model: null });
  });
});

const pool = (extra: Partial<ComputePoolSpec> = {}): ComputePoolSpec => ({ kind: 'ComputePool', name: 'p', executor: 'local', flavor: {}, capacity: { cpu: 4, memory: '8Gi' }, ...extra });
const job = (extra: Partial<TrainingJobSpec> = {}): TrainingJobSpec => ({ kind: 'TrainingJob', name: 'j', command: ['true'], ...extra });

describe('pools, queues and job requirements', () => {
  it('names flavors and splits capacity into nodes', () => {
    expect(flavorName(pool())).toBe('cpu-on-demand');
    expect(flavorName(pool({ flavor: { gpuModel: 'A100', capacity: 'spot' } }))).toBe('a100-spot');
    const state = poolState(pool({ flavor: { gpuModel: 'T4' }, capacity: { cpu: 16, memory: '64Gi', gpus: 4 }, nodes: [{ name: 'a', cpu: 8, memory: '32Gi', gpus: 2 }, { name: 'b', cpu: 8, memory: '32Gi', gpus: 2 }] }));
    expect(state.nodes.map((n) => [n.name, n.capacity.gpus, n.gpuUsedMilli])).toEqual([['a', 2, [0, 0]], ['b', 2, [0, 0]]]);
    expect(() => poolState(pool({ flavor: { gpuModel: 'A100' } }))).toThrow(/needs capacity.gpus/);
  });

  it('treats a missing nominal resource as none and a missing limit as unlimited', () => {
    const [q] = queueQuotas({ kind: 'Queue', name: 'q', flavors: [{ flavor: 'f', nominal: { gpus: 2 }, borrowingLimit: { gpus: 1 } }] });
    expect(q!.nominal).toEqual({ cpuMilli: 0, memoryMiB: 0, gpus: 2 });
    expect(q!.borrowingLimit!.gpus).toBe(1);
    expect(q!.borrowingLimit!.cpuMilli).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('resolves tiers, priorities and defaults', () => {
    expect(jobRequirements(job()).tier).toBe('cpu');
    expect(jobRequirements(job({ resources: { gpus: 1 } })).tier).toBe('gpu');
    const auto = jobRequirements(job({ resources: { gpus: 2, cpu: 4 }, tier: 'auto', gpuWaitLimit: '5m' }));
    expect(auto).toMatchObject({ tier: 'auto', gpuWaitLimitMs: 300_000, cpuFallback: { cpuMilli: 4000 } });
    expect(jobRequirements(job({ priority: 'high' }), { high: 1000 }).priority).toBe(1000);
    expect(() => jobRequirements(job({ priority: 'urgent' }), { high: 1000 })).toThrow(/priority class "urgent"/);
    expect(() => jobRequirements(job({ tier: 'gpu' }))).toThrow(/needs resources.gpus/);
    expect(() => jobRequirements(job({ trainer: { type: 'tabular' } }))).toThrow(/exactly one of command and trainer/);
  });

  it('backs off exponentially up to the cap', () => {
    const r = { backoffInitialMs: 10_000, backoffMaxMs: 60_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(r, n))).toEqual([10_000, 20_000, 40_000, 60_000, 60_000]);
  });
});

describe('examples/training', () => {
  it('holds only documents that match their schema', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const { parseAllDocuments } = await import('yaml');
    const { Value } = await import('@sinclair/typebox/value');
    const { ComputePoolSpec, QueueSpec, TrainingJobSpec } = await import('../../../src/training/index.js');
    const schemas = { ComputePool: ComputePoolSpec, Queue: QueueSpec, TrainingJob: TrainingJobSpec } as const;
    const dir = new URL('../../../examples/training/', import.meta.url);
    let count = 0;
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(await readFile(new URL(file, dir), 'utf8')) as unknown as { toJSON(): { kind: keyof typeof schemas } }[]) {
        const spec = doc.toJSON();
        expect([...Value.Errors(schemas[spec.kind], spec)].map((e) => `${file}: ${e.path} ${e.message}`)).toEqual([]);
        count++;
      }
    }
    expect(count).toBeGreaterThanOrEqual(5);
  });
});
