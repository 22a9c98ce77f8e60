import type { Flavor, NodeState, PoolState } from '../contracts.js';
import { FULL_GPU_MILLI, type NodeNeed } from './need.js';

/** One node as the round sees it: what is still free after this round's admissions. */
export interface NodeSlot {
  /** position among its flavor's nodes: ties go to the lower */
  readonly index: number;
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

/**
 * The nodes of one flavor, across every pool of it (pool order, then node order), with
 * upper bounds on what any one of them has free. The nodes are read from the state the
 * first time the round looks at the flavor; the bounds turn most "does not fit" answers
 * into four comparisons instead of a scan, and are recomputed lazily after an admission.
 */
export class FlavorNodes {
  private built: NodeSlot[] | null = null;
  private withGpuFree: NodeSlot[] | null = null;
  private readonly holds = new Map<string, boolean>();
  private stale = true;
  private maxWholeFree = 0;
  private maxDeviceFree = 0;
  private maxFreeCpu = 0;
  private maxFreeMemory = 0;
  /** the slots holding each maximum: a take elsewhere cannot lower a maximum */
  private readonly argmax = new Set<NodeSlot>();

  constructor(
    readonly flavor: Flavor,
    private readonly pools: readonly PoolState[],
  ) {}

  get slots(): readonly NodeSlot[] {
    if (this.built === null) {
      this.built = [];
      for (const pool of this.pools) for (const node of pool.nodes) this.built.push(slotOf(pool, node, this.built.length));
    }
    return this.built;
  }

  /** The slots that had some GPU share free when the round began: the only ones a GPU job can use. */
  get slotsWithFreeGpu(): readonly NodeSlot[] {
    this.withGpuFree ??= this.slots.filter((s) => s.gpuFree.some((f) => f > 0));
    return this.withGpuFree;
  }

  /** Could some node of this flavor hold `need` if it were empty? */
  couldEverHold(need: NodeNeed): boolean {
    const key = `${need.cpuMilli}/${need.memoryMiB}/${need.gpus}`;
    let answer = this.holds.get(key);
    if (answer === undefined) {
      answer = this.slots.some((s) => s.node.capacity.cpuMilli >= need.cpuMilli && s.node.capacity.memoryMiB >= need.memoryMiB && s.node.capacity.gpus >= need.gpus);
      this.holds.set(key, answer);
    }
    return answer;
  }

  /** Called after `slot` lost capacity; the bounds need recomputing only if it held a maximum. */
  changed(slot: NodeSlot): void {
    if (this.argmax.has(slot)) this.stale = true;
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
    let whole: NodeSlot | null = null;
    let device: NodeSlot | null = null;
    let cpu: NodeSlot | null = null;
    let memory: NodeSlot | null = null;
    this.maxWholeFree = this.maxDeviceFree = this.maxFreeCpu = this.maxFreeMemory = 0;
    for (const s of this.slots) {
      if (s.wholeFree > this.maxWholeFree) [this.maxWholeFree, whole] = [s.wholeFree, s];
      if (s.freeCpuMilli > this.maxFreeCpu) [this.maxFreeCpu, cpu] = [s.freeCpuMilli, s];
      if (s.freeMemoryMiB > this.maxFreeMemory) [this.maxFreeMemory, memory] = [s.freeMemoryMiB, s];
      for (const f of s.gpuFree) if (f > this.maxDeviceFree) [this.maxDeviceFree, device] = [f, s];
    }
    this.argmax.clear();
    for (const s of [whole, device, cpu, memory]) if (s !== null) this.argmax.add(s);
    this.stale = false;
  }
}

/**
 * The cluster's free capacity during one round, by flavor and by node. Nothing is copied
 * from the state until the round needs it: most rounds look at one or two flavors, and
 * the by-name index is built only for preemption or a reservation.
 */
export class ClusterCapacity {
  private readonly flavors = new Map<string, FlavorNodes>();
  private readonly flavorOfPool = new Map<string, string>();
  private readonly slotsByPool = new Map<string, Map<string, NodeSlot>>();

  constructor(pools: readonly PoolState[]) {
    const poolsOf = new Map<string, PoolState[]>();
    for (const pool of pools) {
      this.flavorOfPool.set(pool.name, pool.flavor.name);
      const list = poolsOf.get(pool.flavor.name);
      if (list) list.push(pool);
      else poolsOf.set(pool.flavor.name, [pool]);
    }
    for (const [name, list] of poolsOf) this.flavors.set(name, new FlavorNodes((list[0] as PoolState).flavor, list));
  }

  /** The flavor's nodes, or undefined when no pool has that flavor. */
  flavor(name: string): FlavorNodes | undefined {
    return this.flavors.get(name);
  }

  /** The slot of a node by name (the index is built per flavor on first use). */
  slot(pool: string, node: string): NodeSlot | undefined {
    let byName = this.slotsByPool.get(pool);
    if (byName === undefined) {
      const flavor = this.flavorOfPool.get(pool);
      if (flavor === undefined) return undefined;
      for (const slot of (this.flavors.get(flavor) as FlavorNodes).slots) {
        let names = this.slotsByPool.get(slot.pool.name);
        if (!names) this.slotsByPool.set(slot.pool.name, (names = new Map()));
        names.set(slot.node.name, slot);
      }
      byName = this.slotsByPool.get(pool) ?? new Map<string, NodeSlot>();
      this.slotsByPool.set(pool, byName);
    }
    return byName.get(node);
  }

  /** Books `need` on the slot's devices `gpuIndices` for the rest of the round. */
  take(slot: NodeSlot, need: NodeNeed, gpuIndices: readonly number[]): void {
    slot.freeCpuMilli -= need.cpuMilli;
    slot.freeMemoryMiB -= need.memoryMiB;
    for (const i of gpuIndices) {
      if (slot.gpuFree[i] === FULL_GPU_MILLI) slot.wholeFree--;
      slot.gpuFree[i] = (slot.gpuFree[i] ?? 0) - need.gpuMilli;
    }
    this.flavors.get(slot.pool.flavor.name)?.changed(slot);
  }
}

function slotOf(pool: PoolState, node: NodeState, index: number): NodeSlot {
  const gpus = node.capacity.gpus;
  const gpuFree = new Array<number>(gpus);
  let wholeFree = 0;
  for (let i = 0; i < gpus; i++) {
    const used = node.gpuUsedMilli[i] ?? 0;
    const free = used <= 0 ? FULL_GPU_MILLI : used >= FULL_GPU_MILLI ? 0 : FULL_GPU_MILLI - used;
    gpuFree[i] = free;
    if (free === FULL_GPU_MILLI) wholeFree++;
  }
  return { index, pool, node, freeCpuMilli: node.capacity.cpuMilli - node.usedCpuMilli, freeMemoryMiB: node.capacity.memoryMiB - node.usedMemoryMiB, gpuFree, wholeFree, heldFor: null };
}
