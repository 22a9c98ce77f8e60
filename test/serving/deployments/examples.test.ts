import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkDeploymentSpec } from '../../../src/serving/deployments/check-deployment.js';
import { DeploymentSpec } from '../../../src/serving/deployments/deployment.schema.js';

const DIR = join(import.meta.dirname, '../../../examples/serving');

describe('the example deployments', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(3));
  it.each(files)('%s is a valid Deployment', (file) => {
    const spec = parse(readFileSync(join(DIR, file), 'utf8'));
    expect([...Value.Errors(DeploymentSpec, spec)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    expect(() => checkDeploymentSpec(spec)).not.toThrow();
  });
});
