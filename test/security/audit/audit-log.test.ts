import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashRow } from '../../../src/security/audit/audit-event.js';
import { createTestApp, type MetadataEngine, type TestApp } from '../../helpers/app.js';
import { engineUrl } from '../../helpers/engines.js';

const pg = engineUrl('postgres');
const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(pg ? [{ name: 'postgres' as const, url: pg }] : [])];

/** Events a fresh app writes on first start: the default project and the bootstrap token (no local compute pool here). */
const FIRST_START_EVENTS = 2;
/** Events in the chain after {@link seed}. */
const SEEDED = 6;

describe.each(ENGINES)('audit log on $name', (engine) => {
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp(engine, { 'training.localPool': false });
  });
  afterEach(async () => {
    await t.dispose();
  });

  const db = () => t.services.database.db;
  const rows = () => db().selectFrom('audit_events').selectAll().orderBy('seq').execute();
  const head = async () => (await db().selectFrom('audit_head').selectAll().executeTakeFirstOrThrow());

  async function seed(): Promise<void> {
    for (let i = FIRST_START_EVENTS + 1; i <= SEEDED; i++) {
      await t.services.audit.record({
        actor: `user-${i}`,
        action: 'feature-view.create',
        resource: `feature-view/fv-${i}`,
        project: 'default',
        outcome: 'success',
        requestId: `req-${i}`,
        details: { index: i, columns: ['a', 'b'] },
      });
    }
  }

  /** Rewrites the chain from `fromSeq` on with correct hashes, as an attacker without the signing key would. */
  async function rehashFrom(fromSeq: number): Promise<string> {
    let prevHash = '';
    for (const row of await rows()) {
      if (row.seq < fromSeq) {
        prevHash = row.hash;
        continue;
      }
      const hash = hashRow(row, prevHash);
      await db().updateTable('audit_events').set({ prev_hash: prevHash, hash }).where('seq', '=', row.seq).execute();
      prevHash = hash;
    }
    return prevHash;
  }

  describe('verify', () => {
    it('is ok on a fresh app, and after more events', async () => {
      expect(await t.services.audit.verify()).toEqual({ ok: true, checked: FIRST_START_EVENTS, headSeq: FIRST_START_EVENTS });
      await seed();
      expect(await t.services.audit.verify()).toEqual({ ok: true, checked: SEEDED, headSeq: SEEDED });
      const listed = await t.services.audit.list({ limit: 100 });
      expect(listed.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(listed[3]).toMatchObject({ actor: 'user-4', requestId: 'req-4', details: { index: 4, columns: ['a', 'b'] }, prevHash: listed[2]!.hash });
    });
  });

  describe('detects tampering', () => {
    beforeEach(seed);

    it.each([
      ['an edited actor', { actor: 'someone-else' }],
      ['edited details', { details: '{"columns":["a","b"],"index":99}' }],
      ['an edited outcome', { outcome: 'denied' }],
      ['an edited time', { time: '2000-01-01T00:00:00.000Z' }],
    ])('%s', async (_what, change) => {
      await db().updateTable('audit_events').set(change).where('seq', '=', 4).execute();
      const result = await t.services.audit.verify();
      expect(result).toMatchObject({ ok: false, firstBrokenSeq: 4, headSeq: SEEDED, checked: 3 });
      expect(result.reason).toMatch(/modified/);
    });

    it('a deleted middle event', async () => {
      await db().deleteFrom('audit_events').where('seq', '=', 3).execute();
      const result = await t.services.audit.verify();
      expect(result).toMatchObject({ ok: false, firstBrokenSeq: 3 });
      expect(result.reason).toMatch(/missing/);
    });

    it('a deleted last event', async () => {
      await db().deleteFrom('audit_events').where('seq', '=', SEEDED).execute();
      expect(await t.services.audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: SEEDED, headSeq: SEEDED });
    });

    it('a deleted tail of several events', async () => {
      await db().deleteFrom('audit_events').where('seq', '>=', 4).execute();
      const result = await t.services.audit.verify();
      expect(result).toMatchObject({ ok: false, firstBrokenSeq: 4, checked: 3 });
      expect(result.reason).toMatch(/tail/);
    });

    it("two events' contents swapped", async () => {
      const [a, b] = [(await rows())[2]!, (await rows())[3]!];
      const content = ({ seq: _seq, ...rest }: typeof a) => rest;
      await db().updateTable('audit_events').set(content(b)).where('seq', '=', 3).execute();
      await db().updateTable('audit_events').set(content(a)).where('seq', '=', 4).execute();
      expect(await t.services.audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 3 });
    });

    it("two events' payloads swapped, chain columns left in place", async () => {
      const [a, b] = [(await rows())[2]!, (await rows())[3]!];
      const payload = (r: typeof a) => ({ actor: r.actor, action: r.action, resource: r.resource, details: r.details, request_id: r.request_id });
      await db().updateTable('audit_events').set(payload(b)).where('seq', '=', 3).execute();
      await db().updateTable('audit_events').set(payload(a)).where('seq', '=', 4).execute();
      expect(await t.services.audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 3 });
    });

    it('the chain rewritten with recomputed hashes, head moved but not re-signed', async () => {
      await db().updateTable('audit_events').set({ actor: 'someone-else' }).where('seq', '=', 3).execute();
      const newest = await rehashFrom(3);
      await db().updateTable('audit_head').set({ hash: newest }).where('id', '=', 1).execute();
      const result = await t.services.audit.verify();
      // every link checks out; only the signature over the head gives it away
      expect(result).toMatchObject({ ok: false, checked: SEEDED, firstBrokenSeq: SEEDED });
      expect(result.reason).toMatch(/signature/);
    });

    it('the chain rewritten with recomputed hashes, head row left alone', async () => {
      await db().updateTable('audit_events').set({ details: '{}' }).where('seq', '=', 5).execute();
      await rehashFrom(5);
      const result = await t.services.audit.verify();
      // the newest event no longer matches the signed head: the break is at that event,
      // not at a sequence number that does not exist
      expect(result).toMatchObject({ ok: false, firstBrokenSeq: SEEDED });
      expect(result.reason).toMatch(/head/);
    });

    it('an event appended behind the head', async () => {
      const last = (await rows())[SEEDED - 1]!;
      const forged = { ...last, seq: SEEDED + 1, actor: 'intruder', prev_hash: last.hash };
      await db().insertInto('audit_events').values(forged).execute();
      await rehashFrom(SEEDED + 1);
      expect(await t.services.audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: SEEDED + 1 });
    });

    it('an edited head row: signature, key id, sequence number, missing row', async () => {
      const original = await head();
      const cases: [Partial<typeof original>, number][] = [
        [{ signature: original.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, SEEDED],
        [{ key_id: 'some-other-key' }, SEEDED],
        [{ hash: 'f'.repeat(64) }, SEEDED],
        [{ seq: SEEDED - 1 }, SEEDED],
        [{ seq: SEEDED + 3 }, SEEDED + 1],
      ];
      for (const [change, firstBrokenSeq] of cases) {
        await db().updateTable('audit_head').set(change).where('id', '=', 1).execute();
        expect(await t.services.audit.verify(), JSON.stringify(change)).toMatchObject({ ok: false, firstBrokenSeq });
        await db().updateTable('audit_head').set(original).where('id', '=', 1).execute();
        expect((await t.services.audit.verify()).ok).toBe(true);
      }
      await db().deleteFrom('audit_head').execute();
      expect(await t.services.audit.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/missing/) });
    });
  });

  it('50 concurrent records make one contiguous chain with no fork', async () => {
    const N = 50;
    const written = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        t.services.audit.record({ actor: `worker-${i}`, action: 'test.concurrent', resource: `thing/${i}`, outcome: 'success', details: { i } }),
      ),
    );
    const total = FIRST_START_EVENTS + N;
    expect(written.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => FIRST_START_EVENTS + 1 + i));
    const stored = await rows();
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(stored.map((r) => r.prev_hash)).size).toBe(total);
    expect(new Set(stored.map((r) => r.actor).filter((a) => a.startsWith('worker-'))).size).toBe(N);
    expect(await head()).toMatchObject({ seq: total, hash: stored[total - 1]!.hash });
    expect(await t.services.audit.verify()).toEqual({ ok: true, checked: total, headSeq: total });
  });

  it('GET /api/v1/audit/verify reports the first broken seq after tampering', async () => {
    await seed();
    const verify = () => t.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: t.auth() });
    let res = await verify();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, checked: SEEDED, headSeq: SEEDED });

    await db().updateTable('audit_events').set({ resource: 'feature-view/other' }).where('seq', '=', 5).execute();
    res = await verify();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: false, firstBrokenSeq: 5, headSeq: SEEDED, reason: expect.stringContaining('5') });
  });
});
