import type { Flavor, NodeState, PoolState } from '../contracts.js';
import { FULL_GPU_MILLI, type NodeNeed } from './need.js';

/** One node as the round sees it: what is still free after this round's admissions. */
export interface NodeSlot {
  /** position across all pools, for deterministic tie-breaks */
  readonly order: number;
  readonly pool: PoolState;
  readonly node: NodeState;
  freeCpuMilli: number;
  freeMemoryMiB: number;
  /** per device: thousandths free */
  readonly gpuFree: number[];
  /** devices with nothing in use */
  wholeFree: number;
  /** set when the node is held for one pending job (a reservation, or preemption victims stopping) */
  heldFor: string | null;
}

export function nodeKey(pool: string, node: string): string {
  return `${pool}\u0000${node}`;
}

/**
 * The nodes of one flavor, across every pool of it, with upper bounds on what any one of
 * them has free. The bounds turn most "does not fit" answers into four comparisons instead
 * of a scan over hundreds of nodes; they are recomputed lazily after an admission.
 */
export class FlavorNodes {
  readonly slots: NodeSlot[] = [];
  private stale = true;
  private maxWholeFree = 0;
  private maxDeviceFree = 0;
  private maxFreeCpu = 0;
  private maxFreeMemory = 0;

  constructor(readonly flavor: Flavor) {}

  changed(): void {
    this.stale = true;
  }

  /** false when no node of this flavor can hold `need`, whatever is held or reserved */
  mightFit(need: NodeNeed): boolean {
    if (this.stale) this.refresh();
    if (need.cpuMilli > this.maxFreeCpu || need.memoryMiB > this.maxFreeMemory) return false;
    if (need.gpus === 0) return true;
    if (need.gpuMilli >= FULL_GPU_MILLI) return need.gpus <= this.maxWholeFree;
    return need.gpuMilli <= this.maxDeviceFree;
  }

  private refresh(): void {
    this.maxWholeFree = this.maxDeviceFree = this.maxFreeCpu = this.maxFreeMemory = 0;
    for (const s of this.slots) {
      if (s.wholeFree > this.maxWholeFree) this.maxWholeFree = s.wholeFree;
      if (s.freeCpuMilli > this.maxFreeCpu) this.maxFreeCpu = s.freeCpuMilli;
      if (s.freeMemoryMiB > this.maxFreeMemory) this.maxFreeMemory = s.freeMemoryMiB;
      for (const f of s.gpuFree) if (f > this.maxDeviceFree) this.maxDeviceFree = f;
    }
    this.stale = false;
  }
}

/** The cluster's free capacity during one round, by flavor and by node. */
export class ClusterCapacity {
  readonly flavors = new Map<string, FlavorNodes>();
  private readonly slotsByKey = new Map<string, NodeSlot>();

  constructor(pools: readonly PoolState[]) {
    let order = 0;
    for (const pool of pools) {
      let nodes = this.flavors.get(pool.flavor.name);
      if (!nodes) this.flavors.set(pool.flavor.name, (nodes = new FlavorNodes(pool.flavor)));
      for (const node of pool.nodes) {
        const gpuFree: number[] = [];
        let wholeFree = 0;
        for (let i = 0; i < node.capacity.gpus; i++) {
          const free = Math.max(0, FULL_GPU_MILLI - (node.gpuUsedMilli[i] ?? 0));
          gpuFree.push(free);
          if (free === FULL_GPU_MILLI) wholeFree++;
        }
        const slot: NodeSlot = {
          order: order++,
          pool,
          node,
          freeCpuMilli: node.capacity.cpuMilli - node.usedCpuMilli,
          freeMemoryMiB: node.capacity.memoryMiB - node.usedMemoryMiB,
          gpuFree,
          wholeFree,
          heldFor: null,
        };
        nodes.slots.push(slot);
        this.slotsByKey.set(nodeKey(pool.name, node.name), slot);
      }
    }
  }

  slot(pool: string, node: string): NodeSlot | undefined {
    return this.slotsByKey.get(nodeKey(pool, node));
  }

  /** Books `need` on the slot's devices `gpuIndices` for the rest of the round. */
  take(slot: NodeSlot, need: NodeNeed, gpuIndices: readonly number[]): void {
    slot.freeCpuMilli -= need.cpuMilli;
    slot.freeMemoryMiB -= need.memoryMiB;
    for (const i of gpuIndices) {
      if (slot.gpuFree[i] === FULL_GPU_MILLI) slot.wholeFree--;
      slot.gpuFree[i] = (slot.gpuFree[i] ?? 0) - need.gpuMilli;
    }
    this.flavors.get(slot.pool.flavor.name)?.changed();
  }
}
