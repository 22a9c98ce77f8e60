import { atLeast } from '../../security/policy/index.js';
import { parseDuration } from '../../core/duration.js';
import type { DefinitionError } from './check-spec.js';
import { featureProblems } from './feature-rules.js';
import type { Expectation } from '../../data/contracts.js';
import { checkExpectations } from '../../data/ingest/check-expectations.js';
import type { ResolvedEntity, ResolvedFeature, ResolvedFeatureService, ResolvedFeatureView, ResolvedSource } from './resolved.js';
import type { BatchSourceSpec, EntitySpec, FeatureServiceSpec, FeatureViewSpec, ObjectSpec, PushSourceSpec, StreamSourceSpec } from './spec.schema.js';

/** An object of the desired state, with the version it will have once applied. */
export interface VersionedObject {
  spec: ObjectSpec;
  version: number;
  origin?: string | undefined;
}

export interface ResolvedDefinitions {
  entities: Map<string, EntitySpec>;
  sources: Map<string, ResolvedSource>;
  views: Map<string, ResolvedFeatureView>;
  services: Map<string, ResolvedFeatureService>;
  errors: DefinitionError[];
}

export interface ResolveOptions {
  /** directory where a push source's rows land offline */
  pushPath(source: string): string;
}

const label = (o: VersionedObject) => `${o.spec.kind}/${o.spec.name}`;

/**
 * Resolves references between objects (view → entities and source, service → views and
 * features) and checks every rule that spans objects, collecting all problems.
 */
export function resolveDefinitions(objects: readonly VersionedObject[], options: ResolveOptions): ResolvedDefinitions {
  const errors: DefinitionError[] = [];
  const fail = (o: VersionedObject, message: string) => errors.push({ object: label(o), origin: o.origin, message });
  const of = <K extends ObjectSpec['kind']>(kind: K) => objects.filter((o) => o.spec.kind === kind) as (VersionedObject & { spec: Extract<ObjectSpec, { kind: K }> })[];

  const entities = new Map(of('Entity').map((o) => [o.spec.name, o.spec]));
  const sources = new Map<string, ResolvedSource>();
  for (const o of [...of('BatchSource'), ...of('PushSource'), ...of('StreamSource')]) {
    if (sources.has(o.spec.name)) fail(o, `a source named ${o.spec.name} is declared twice (batch, push and stream sources share one namespace)`);
    else {
      const source = resolveSource(o.spec, o.version, options);
      if (source.kind === 'push') for (const problem of checkExpectations({ schema: source.schema, timestampField: source.timestampField, required: source.required, allowedValues: source.allowedValues, expectations: source.expectations })) fail(o, problem);
      sources.set(o.spec.name, source);
    }
  }

  const views = new Map<string, ResolvedFeatureView>();
  for (const o of of('FeatureView')) {
    const view = resolveView(o, entities, sources, (m) => fail(o, m));
    if (view) views.set(view.name, view);
  }
  const services = new Map<string, ResolvedFeatureService>();
  for (const o of of('FeatureService')) {
    const service = resolveService(o.spec, o.version, views, (m) => fail(o, m));
    if (service) services.set(service.name, service);
  }
  return { entities, sources, views, services, errors };
}

function resolveSource(spec: BatchSourceSpec | PushSourceSpec | StreamSourceSpec, version: number, options: ResolveOptions): ResolvedSource {
  const common = { name: spec.name, timestampField: spec.timestampField, createdTimestampField: spec.createdTimestampField, classification: spec.classification };
  if (spec.kind === 'PushSource' || spec.kind === 'StreamSource') {
    return {
      kind: 'push',
      ...common,
      schema: spec.schema,
      path: options.pushPath(spec.name),
      required: spec.required ?? [],
      allowedValues: spec.allowedValues ?? {},
      expectations: (spec.expectations ?? []) as Expectation[],
      stream: spec.kind === 'StreamSource' ? { broker: spec.stream.broker ?? 'default', subject: spec.stream.subject, group: spec.stream.group, tileMs: spec.stream.tile ? parseDuration(spec.stream.tile) : undefined } : undefined,
      version,
    };
  }
  const format = spec.format ?? (/\.csv$/i.test(spec.path) ? 'csv' : /\.(jsonl|ndjson|json)$/i.test(spec.path) ? 'jsonl' : 'parquet');
  return { kind: 'batch', ...common, path: spec.path, format };
}

function resolveView(
  o: VersionedObject & { spec: FeatureViewSpec },
  entities: Map<string, EntitySpec>,
  sources: Map<string, ResolvedSource>,
  fail: (message: string) => void,
): ResolvedFeatureView | undefined {
  const spec = o.spec;
  const errorsBefore = { count: 0 };
  const report = (m: string) => {
    errorsBefore.count++;
    fail(m);
  };
  const source = sources.get(spec.source);
  if (!source) report(`unknown source ${spec.source}: declare a BatchSource, PushSource or StreamSource with that name`);

  const resolvedEntities: ResolvedEntity[] = [];
  for (const ref of spec.entities) {
    const name = typeof ref === 'string' ? ref : ref.name;
    const entity = entities.get(name);
    if (!entity) {
      report(`unknown entity ${name}: declare an Entity with that name`);
      continue;
    }
    const mapping = typeof ref === 'string' ? {} : (ref.columns ?? {});
    for (const key of Object.keys(mapping)) if (!entity.joinKeys.includes(key)) report(`entity ${name} has no join key ${key}`);
    resolvedEntities.push({ name, joinKeys: entity.joinKeys, columns: Object.fromEntries(entity.joinKeys.map((k) => [k, mapping[k] ?? k])) });
  }
  const joinKeys = resolvedEntities.flatMap((e) => e.joinKeys);
  if (new Set(joinKeys).size !== joinKeys.length) report('two entities of this view share a join key name');

  const features: ResolvedFeature[] = [];
  const names = new Set<string>();
  for (const f of spec.features) {
    if (names.has(f.name)) report(`feature ${f.name} is declared twice`);
    if (joinKeys.includes(f.name)) report(`feature ${f.name} has the name of a join key`);
    names.add(f.name);
    for (const p of featureProblems(f)) report(p);
    const aggregation = f.aggregation ? { ...f.aggregation, windowMs: parseDuration(f.aggregation.window) } : undefined;
    features.push(aggregation ? { name: f.name, type: f.type, aggregation } : { name: f.name, type: f.type, column: f.column ?? f.name });
  }

  if (source) {
    if (!atLeast(spec.classification, source.classification)) {
      report(`classification ${spec.classification} is below its source's (${source.classification}): a view is at least as protected as its data`);
    }
    if (source.kind === 'push') {
      const columns = new Set(Object.keys(source.schema));
      const needed = [source.timestampField, ...resolvedEntities.flatMap((e) => Object.values(e.columns)), ...features.map((f) => f.column ?? f.aggregation!.column)];
      for (const c of needed) if (!columns.has(c)) report(`column ${c} is not in push source ${source.name}'s schema`);
      const tileMs = source.stream?.tileMs;
      for (const f of features) {
        if (tileMs && f.aggregation && f.aggregation.windowMs % tileMs !== 0) report(`feature ${f.name}: window ${f.aggregation.window} is not a whole number of the stream source's ${tileMs} ms tiles`);
      }
    }
  }
  if (errorsBefore.count > 0 || !source) return undefined;
  return {
    name: spec.name,
    version: o.version,
    entities: resolvedEntities,
    joinKeys: [...joinKeys].sort(),
    source,
    features,
    ttlMs: spec.ttl ? parseDuration(String(spec.ttl)) : 0,
    online: spec.online ?? true,
    classification: spec.classification,
  };
}

function resolveService(
  spec: FeatureServiceSpec,
  version: number,
  views: Map<string, ResolvedFeatureView>,
  fail: (message: string) => void,
): ResolvedFeatureService | undefined {
  const grouped = new Map<string, { view: ResolvedFeatureView; features: ResolvedFeature[] }>();
  let ok = true;
  for (const ref of spec.features) {
    const [viewName, featureName] = ref.split(':') as [string, string];
    const view = views.get(viewName);
    if (!view) {
      fail(`unknown feature view ${viewName} (in ${ref})`);
      ok = false;
      continue;
    }
    const picked = featureName === '*' ? view.features : view.features.filter((f) => f.name === featureName);
    if (picked.length === 0) {
      fail(`feature view ${viewName} has no feature ${featureName}`);
      ok = false;
      continue;
    }
    const group = grouped.get(viewName) ?? { view, features: [] };
    for (const f of picked) if (!group.features.includes(f)) group.features.push(f);
    grouped.set(viewName, group);
  }
  return ok ? { name: spec.name, version, views: [...grouped.values()] } : undefined;
}
