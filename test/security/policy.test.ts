import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyViolationError } from '../../src/core/errors/index.js';
import {
  CLASSIFICATIONS,
  residencyViolation,
  SYSTEM_PRINCIPAL,
  type Classification,
  type Project,
  type StoreLocation,
} from '../../src/security/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

const REGIONS = { local: { inCountry: true }, 'eu-west-1': { inCountry: false }, 'ae-dxb-1': { inCountry: true } };
const ABOVE_PUBLIC: Classification[] = ['internal', 'confidential', 'personal'];

const ask = (classification: Classification, region: string, allowedRegions: string[], store = 'online') =>
  residencyViolation({ classification, target: { store, region }, allowedRegions, regions: REGIONS });

describe('residencyViolation', () => {
  it('lets public data go anywhere, even to an undeclared or disallowed region', () => {
    expect(ask('public', 'eu-west-1', ['local'])).toBeUndefined();
    expect(ask('public', 'us-east-1', ['local'])).toBeUndefined();
  });

  it.each(ABOVE_PUBLIC)('lets %s data go only to the project’s allowed regions', (classification) => {
    expect(ask(classification, 'eu-west-1', ['local', 'eu-west-1'])).toBeUndefined(); // abroad, but allowed
    expect(ask(classification, 'ae-dxb-1', ['local', 'ae-dxb-1'])).toBeUndefined();
    const reason = ask(classification, 'eu-west-1', ['local', 'ae-dxb-1']);
    expect(reason).toContain(classification);
    expect(reason).toContain('eu-west-1');
    expect(reason).toContain('local, ae-dxb-1');
  });

  it('keeps sensitive-personal data in-country, even where the project allows abroad', () => {
    expect(ask('sensitive-personal', 'ae-dxb-1', ['ae-dxb-1'])).toBeUndefined();
    expect(ask('sensitive-personal', 'local', ['local', 'eu-west-1'])).toBeUndefined();
    const reason = ask('sensitive-personal', 'eu-west-1', ['local', 'eu-west-1']);
    expect(reason).toMatch(/in-country/);
    expect(reason).toContain('eu-west-1');
    expect(ask('sensitive-personal', 'ae-dxb-1', ['local'])).toContain('ae-dxb-1'); // in-country but not allowed
  });

  it.each(CLASSIFICATIONS.filter((c) => c !== 'public'))('refuses %s data in an undeclared region, even if the project lists it', (classification) => {
    const reason = ask(classification, 'us-east-1', ['local', 'us-east-1'], 'blob');
    expect(reason).toMatch(/not declared/);
    expect(reason).toContain('blob');
  });
});

describe('PolicyService and the residency-check route', () => {
  let t: TestApp;
  let gulf: Project;
  let worldwide: Project;
  const ctx = { principal: SYSTEM_PRINCIPAL, requestId: 'req-policy' };
  const headSeq = async () => (await t.services.audit.verify()).headSeq;

  beforeAll(async () => {
    t = await createTestApp({ name: 'sqlite' }, { regions: REGIONS, 'online.region': 'eu-west-1', 'blob.region': 'ae-dxb-1' });
    gulf = await t.services.projects.create(ctx, { name: 'gulf', allowedRegions: ['local', 'ae-dxb-1'] });
    worldwide = await t.services.projects.create(ctx, { name: 'worldwide', allowedRegions: ['local', 'eu-west-1', 'ae-dxb-1'] });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('knows each configured store and its region', () => {
    expect(t.services.policy.store('online')).toEqual({ store: 'online', region: 'eu-west-1' });
    expect(t.services.policy.store('blob')).toEqual({ store: 'blob', region: 'ae-dxb-1' });
    expect(t.services.policy.store('metadata')).toEqual({ store: 'metadata', region: 'local' });
    expect(t.services.policy.store('nowhere')).toBeUndefined();
  });

  describe('enforce', () => {
    it('throws a PolicyViolationError that says why, after writing a policy.violation event', async () => {
      const online = t.services.policy.store('online')!;
      const error = await t.services.policy.enforce(ctx, gulf, 'personal', online, 'feature-view/trips').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PolicyViolationError);
      const violation = error as PolicyViolationError;
      expect(violation.code).toBe('FALAJ_POLICY_RESIDENCY');
      expect(violation.message).toMatch(/^residency policy: personal data may not be written to the online store in region "eu-west-1"/);
      expect(violation.details).toEqual({ classification: 'personal', store: 'online', region: 'eu-west-1', allowedRegions: ['local', 'ae-dxb-1'] });

      const [event] = (await t.services.audit.list({ action: 'policy.violation', limit: 100 })).slice(-1);
      expect(event).toMatchObject({
        actor: SYSTEM_PRINCIPAL.id,
        action: 'policy.violation',
        resource: 'feature-view/trips',
        project: 'gulf',
        outcome: 'denied',
        requestId: 'req-policy',
        details: { classification: 'personal', store: 'online', region: 'eu-west-1', reason: expect.stringContaining('eu-west-1') },
      });
      expect((await t.services.audit.verify()).ok).toBe(true);
    });

    it('refuses sensitive-personal data abroad even for a project that allows abroad', async () => {
      const before = await headSeq();
      await expect(t.services.policy.enforce(ctx, worldwide, 'sensitive-personal', t.services.policy.store('online')!, 'dataset/health')).rejects.toThrow(
        /in-country/,
      );
      expect(await headSeq()).toBe(before + 1);
    });

    it('returns quietly, writing nothing, when the write is allowed', async () => {
      const before = await headSeq();
      const allowed: [Project, Classification, StoreLocation][] = [
        [gulf, 'sensitive-personal', t.services.policy.store('blob')!],
        [gulf, 'public', t.services.policy.store('online')!],
        [worldwide, 'personal', t.services.policy.store('online')!],
      ];
      for (const [project, classification, target] of allowed) {
        await expect(t.services.policy.enforce(ctx, project, classification, target, 'dataset/x')).resolves.toBeUndefined();
      }
      expect(await headSeq()).toBe(before);
    });
  });

  describe('POST /api/v1/projects/{p}/policy/residency-check', () => {
    const check = (project: string, body: object, token?: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/projects/${project}/policy/residency-check`, headers: t.auth(token), payload: body });

    it('answers a refusal with the reason, as a dry run that writes no audit event', async () => {
      const before = await headSeq();
      const res = await check('gulf', { classification: 'personal', store: 'online' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        allowed: false,
        reason: expect.stringContaining('eu-west-1'),
        target: { store: 'online', region: 'eu-west-1' },
        inCountry: false,
      });
      expect(await headSeq()).toBe(before);
    });

    it('answers an allowed write', async () => {
      const res = await check('gulf', { classification: 'sensitive-personal', store: 'blob' });
      expect(res.json()).toEqual({ allowed: true, target: { store: 'blob', region: 'ae-dxb-1' }, inCountry: true });
      expect((await check('worldwide', { classification: 'sensitive-personal', store: 'online' })).json()).toMatchObject({
        allowed: false,
        reason: expect.stringMatching(/in-country/),
      });
    });

    it('is open to a viewer of the project, not of another', async () => {
      const { token } = await t.services.tokens.create(ctx, { project: 'gulf', role: 'viewer' });
      expect((await check('gulf', { classification: 'public', store: 'online' }, token)).statusCode).toBe(200);
      const denied = await check('worldwide', { classification: 'public', store: 'online' }, token);
      expect(denied.statusCode).toBe(403);
      expect(denied.json().code).toBe('FALAJ_PERMISSION_DENIED');
    });

    it('rejects an unknown store, classification or project', async () => {
      const store = await check('gulf', { classification: 'personal', store: 'tape-vault' });
      expect(store.statusCode).toBe(422);
      expect(store.json().detail).toContain('online');
      const classification = await check('gulf', { classification: 'secret', store: 'online' });
      expect(classification.statusCode).toBe(400);
      expect(classification.json().code).toBe('FALAJ_VALIDATION_FAILED');
      const project = await check('atlantis', { classification: 'personal', store: 'online' });
      expect(project.statusCode).toBe(404);
      expect(project.json().code).toBe('FALAJ_PROJECT_NOT_FOUND');
    });
  });
});
