export * from './lineage-event.js';
export * from './lineage-facets.js';
export { NODE_KINDS, nodeOf, parseNode, nodeOfDataset, jobKey, type NodeKind, type LineageNode } from './lineage-node.js';
export { edgesOfEvent, type LineageDirection, type LineageEdge, type LineageGraph } from './lineage-graph.js';
export { LineageForwarder, type LineageForwarderOptions, type ForwarderStats } from './lineage-forwarder.js';
export { validateRunEvent } from './validate-run-event.js';
export { LineageService, DEFAULT_LINEAGE_DEPTH, MAX_LINEAGE_DEPTH, type LineageServiceOptions, type EmitResult, type StoredLineageEvent } from './lineage.service.js';
