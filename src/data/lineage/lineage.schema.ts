import { Type } from '@sinclair/typebox';
import { RUN_EVENT_TYPES } from './lineage-event.js';
import { NODE_KINDS } from './lineage-node.js';

/**
 * HTTP schemas of lineage. The RunEvent schema holds the fields of the OpenLineage spec
 * (2-0-2) that the store reads and leaves everything else open: facets, and fields of
 * later spec versions, are kept as sent.
 */
const Open = Type.Object({}, { additionalProperties: true });
const Facets = Type.Record(Type.String(), Open);
const Name = Type.String({ minLength: 1, maxLength: 2000 });

const Dataset = Type.Object(
  { namespace: Name, name: Name, facets: Type.Optional(Facets), inputFacets: Type.Optional(Facets), outputFacets: Type.Optional(Facets) },
  { additionalProperties: true },
);

/** Body of `POST …/lineage`: what OpenLineage HTTP clients send. */
export const RunEventSchema = Type.Object(
  {
    eventType: Type.Optional(Type.Union(RUN_EVENT_TYPES.map((t) => Type.Literal(t)))),
    eventTime: Type.String({ format: 'date-time' }),
    run: Type.Object({ runId: Type.String({ format: 'uuid' }), facets: Type.Optional(Facets) }, { additionalProperties: true }),
    job: Type.Object({ namespace: Name, name: Name, facets: Type.Optional(Facets) }, { additionalProperties: true }),
    inputs: Type.Optional(Type.Array(Dataset, { maxItems: 1000 })),
    outputs: Type.Optional(Type.Array(Dataset, { maxItems: 1000 })),
    producer: Type.String({ minLength: 1 }),
    schemaURL: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'An OpenLineage RunEvent (https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent)' },
);

/** `up`: what fed the node; `down`: what it fed; `both`. */
export const DirectionSchema = Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('both')]);

/** Query of `GET …/lineage`. */
export const GraphQuery = Type.Object(
  {
    // the kind is checked by the service, whose message lists the kinds there are
    node: Type.String({ minLength: 3, maxLength: 2000, description: `<kind>/<name> (kinds: ${NODE_KINDS.join(', ')}), e.g. view/trip_stats or model/fraud/3` }),
    direction: Type.Optional(DirectionSchema),
    depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  },
  { additionalProperties: false },
);

/** Query of `GET …/lineage/events`. */
export const EventsQuery = Type.Object(
  { job: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
);

const NodeSchema = Type.Object({ id: Type.String(), kind: Type.Union(NODE_KINDS.map((k) => Type.Literal(k))), name: Type.String() });
const EdgeSchema = Type.Object({ from: Type.String(), to: Type.String(), job: Type.String() });

/** A `LineageGraph`. */
export const GraphSchema = Type.Object({
  node: Type.String(),
  direction: DirectionSchema,
  depth: Type.Integer(),
  nodes: Type.Array(NodeSchema),
  edges: Type.Array(EdgeSchema),
  truncated: Type.Boolean(),
});

/** A `StoredLineageEvent`. */
export const StoredEventSchema = Type.Object({
  id: Type.String(),
  runId: Type.String(),
  eventType: Type.Union([Type.String(), Type.Null()]),
  eventTime: Type.String(),
  job: Type.Object({ namespace: Type.String(), name: Type.String(), key: Type.String() }),
  inputs: Type.Array(Type.String()),
  outputs: Type.Array(Type.String()),
  event: Open,
  createdAt: Type.String(),
});

/** An `EmitResult`: what storing a reported event did. */
export const EmitResultSchema = Type.Object({
  id: Type.String(),
  project: Type.String(),
  runId: Type.String(),
  eventType: Type.Union([Type.String(), Type.Null()]),
  edges: Type.Integer(),
});
