import { Value } from '@sinclair/typebox/value';
import { ObjectSpec, OBJECT_KINDS, type ObjectSpec as Spec } from './spec.schema.js';

/** One validation problem, pointing at the object (and file) it is about. */
export interface DefinitionError {
  /** `FeatureView/origin_delays` (or the document position when the kind/name is unreadable) */
  object: string;
  /** where the object came from, e.g. `features/flights.yaml#3` */
  origin?: string | undefined;
  message: string;
}

export interface SubmittedObject {
  spec: unknown;
  origin?: string | undefined;
}

/**
 * Checks each submitted document against its kind's schema, collecting every problem
 * rather than stopping at the first, so `falaj plan` can show them all at once.
 */
export function checkSpecs(objects: readonly SubmittedObject[]): { specs: { spec: Spec; origin?: string | undefined }[]; errors: DefinitionError[] } {
  const specs: { spec: Spec; origin?: string | undefined }[] = [];
  const errors: DefinitionError[] = [];
  objects.forEach(({ spec, origin }, index) => {
    const doc = (spec ?? {}) as { kind?: unknown; name?: unknown };
    const label = `${typeof doc.kind === 'string' ? doc.kind : 'document'}/${typeof doc.name === 'string' ? doc.name : `#${index + 1}`}`;
    if (typeof doc.kind !== 'string' || !OBJECT_KINDS.includes(doc.kind as Spec['kind'])) {
      errors.push({ object: label, origin, message: `kind must be one of ${OBJECT_KINDS.join(', ')} (got ${JSON.stringify(doc.kind ?? null)})` });
      return;
    }
    const schema = ObjectSpec.anyOf.find((s) => s.properties.kind.const === doc.kind)!;
    const problems = [...Value.Errors(schema, spec)];
    if (problems.length > 0) {
      const seen = new Set<string>();
      for (const p of problems) {
        const path = p.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
        const options = (p.schema as { anyOf?: { const?: unknown }[] }).anyOf;
        const literals = options?.every((o) => o.const !== undefined) ? options.map((o) => String(o.const)) : undefined;
        const message = literals ? `${path}: must be one of ${literals.join(', ')} (got ${JSON.stringify(p.value)})` : `${path}: ${p.message}`;
        if (seen.has(path)) continue; // unions report one error per branch; the first says enough
        seen.add(path);
        errors.push({ object: label, origin, message });
      }
      return;
    }
    specs.push({ spec: spec as Spec, origin });
  });
  return { specs, errors };
}
