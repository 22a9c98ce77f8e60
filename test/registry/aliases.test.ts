import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelAliases, ModelRegistry } from '../../src/registry/index.js';
import { ctxOf, ENGINES, failure, person, PROJECT, registryApp, system, type RegistryApp } from './registry-app.js';

const editor = ctxOf(person('editor'));
const deployer = ctxOf(person('deployer'));
const viewer = ctxOf(person('viewer'));
const MODELS = `/api/v1/projects/${PROJECT}/models`;

describe.each(ENGINES)('aliases and approvals, metadata on $name', (engine) => {
  let r: RegistryApp;
  let models: ModelRegistry;
  let aliases: ModelAliases;
  beforeAll(async () => {
    r = await registryApp(engine);
    models = r.t.services.models;
    aliases = r.t.services.modelAliases;
  });
  afterAll(async () => {
    await r?.dispose();
  });

  /** A model with versions 1 and 2 READY and 3 FAILED_REGISTRATION. */
  async function model(name: string): Promise<void> {
    await models.createModel(editor, PROJECT, { name });
    await models.createVersion(editor, PROJECT, name, { source: `s3://models/${name}/1` });
    await models.createVersion(editor, PROJECT, name, { source: `s3://models/${name}/2` });
    const runId = await r.logRun({ 'model/model.onnx': 'garbage' });
    expect((await models.createVersion(editor, PROJECT, name, { source: `runs:/${runId}/model` })).status).toBe('FAILED_REGISTRATION');
  }

  it('sets, moves, resolves and deletes an alias; every move is audited with from and to', async () => {
    await model('ranker');
    expect(await aliases.setAlias(editor, PROJECT, 'ranker', 'challenger', 1)).toMatchObject({ applied: true, alias: { alias: 'challenger', version: 1, protected: false, updatedBy: 'user-editor' } });
    await aliases.setAlias(editor, PROJECT, 'ranker', 'challenger', 2);
    expect((await aliases.getByAlias(PROJECT, 'ranker', 'challenger')).version).toBe(2);
    expect((await models.getModel(PROJECT, 'ranker')).aliases).toEqual([{ alias: 'challenger', version: 2 }]);
    expect((await models.getVersion(PROJECT, 'ranker', 2)).aliases).toEqual(['challenger']);
    expect((await aliases.listAliases(PROJECT, 'ranker')).map((a) => [a.alias, a.version])).toEqual([['challenger', 2]]);
    await aliases.deleteAlias(editor, PROJECT, 'ranker', 'challenger');
    expect((await failure(aliases.getByAlias(PROJECT, 'ranker', 'challenger'))).code).toBe('FALAJ_ALIAS_NOT_FOUND');
    expect((await failure(aliases.deleteAlias(editor, PROJECT, 'ranker', 'challenger'))).code).toBe('FALAJ_ALIAS_NOT_FOUND');
    const moves = (await r.audit('model.alias.set')).filter((e) => e.resource === 'model/ranker/aliases/challenger');
    expect(moves.map((e) => e.details)).toEqual([
      { protected: false, from: null, to: 1 },
      { protected: false, from: 1, to: 2 },
    ]);
    expect((await r.audit('model.alias.delete')).map((e) => [e.resource, e.details.from])).toEqual([['model/ranker/aliases/challenger', 2]]);
  });

  it('keeps latest and v<N> for versions: refused as alias names, resolved when read', async () => {
    await model('reserved');
    for (const name of ['latest', 'Latest', 'v1', 'V12']) expect((await failure(aliases.setAlias(editor, PROJECT, 'reserved', name, 1))).code, name).toBe('FALAJ_ALIAS_RESERVED');
    for (const name of ['bad name', 'a/b', '', 'x'.repeat(256)]) expect((await failure(aliases.setAlias(editor, PROJECT, 'reserved', name, 1))).code, name).toBe('FALAJ_VALIDATION_FAILED');
    for (const name of ['v', 'v1a', 'latest-good']) expect((await aliases.setAlias(editor, PROJECT, 'reserved', name, 1)).applied, name).toBe(true);
    expect((await aliases.getByAlias(PROJECT, 'reserved', 'latest')).version).toBe(2); // v3 is not READY
    expect((await aliases.getByAlias(PROJECT, 'reserved', 'v1')).version).toBe(1);
    const res = await r.inject('PUT', `${MODELS}/reserved/aliases/latest`, { version: 1 });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('FALAJ_ALIAS_RESERVED');
  });

  it('points aliases only at READY versions that exist', async () => {
    await model('ready');
    const notReady = await failure(aliases.setAlias(editor, PROJECT, 'ready', 'challenger', 3));
    expect(notReady.code).toBe('FALAJ_MODEL_VERSION_NOT_READY');
    expect(notReady.message).toMatch(/FAILED_REGISTRATION/);
    expect((await failure(aliases.setAlias(editor, PROJECT, 'ready', 'challenger', 9))).code).toBe('FALAJ_MODEL_VERSION_NOT_FOUND');
    expect((await failure(aliases.setAlias(editor, PROJECT, 'nope', 'challenger', 1))).code).toBe('FALAJ_MODEL_NOT_FOUND');
  });

  it('protected alias: an editor is refused (and audited), a deployer moves it; viewers move nothing', async () => {
    await model('guarded');
    const refused = await failure(aliases.setAlias(editor, PROJECT, 'guarded', 'champion', 1));
    expect(refused.code).toBe('FALAJ_PERMISSION_DENIED');
    expect(refused.message).toMatch(/model:promote/);
    expect((await failure(aliases.setAlias(editor, PROJECT, 'guarded', 'Champion', 1))).code).toBe('FALAJ_PERMISSION_DENIED'); // no way around by case
    expect(await aliases.setAlias(deployer, PROJECT, 'guarded', 'champion', 1)).toMatchObject({ applied: true, alias: { protected: true, version: 1 } });
    expect((await failure(aliases.deleteAlias(editor, PROJECT, 'guarded', 'champion'))).code).toBe('FALAJ_PERMISSION_DENIED');
    expect((await aliases.setAlias(deployer, PROJECT, 'guarded', 'challenger', 2)).applied).toBe(true); // deployers move any alias
    expect((await failure(aliases.setAlias(viewer, PROJECT, 'guarded', 'challenger', 1))).code).toBe('FALAJ_PERMISSION_DENIED');
    const denied = (await r.audit('model.alias.set')).filter((e) => e.outcome === 'denied' && e.resource.startsWith('model/guarded/'));
    expect(denied.map((e) => [e.actor, e.resource])).toEqual([
      ['user-editor', 'model/guarded/aliases/champion'],
      ['user-editor', 'model/guarded/aliases/Champion'],
      ['user-viewer', 'model/guarded/aliases/challenger'],
    ]);
    expect((await aliases.getByAlias(PROJECT, 'guarded', 'champion')).version).toBe(1);
  });

  it('protected alias over HTTP: the editor’s PUT is 403, the deployer’s 200', async () => {
    await model('http-guarded');
    const [editorToken, deployerToken, viewerToken] = [await r.token('editor'), await r.token('deployer'), await r.token('viewer')];
    const url = `${MODELS}/http-guarded/aliases/champion`;
    const byEditor = await r.inject('PUT', url, { version: 2 }, editorToken);
    expect(byEditor.statusCode).toBe(403);
    expect(byEditor.json().code).toBe('FALAJ_PERMISSION_DENIED');
    expect((await r.inject('PUT', `${MODELS}/http-guarded/aliases/challenger`, { version: 2 }, editorToken)).statusCode).toBe(200);
    expect((await r.inject('PUT', `${MODELS}/http-guarded/aliases/challenger`, { version: 1 }, viewerToken)).statusCode).toBe(403);
    const byDeployer = await r.inject('PUT', url, { version: 2 }, deployerToken);
    expect(byDeployer.statusCode, byDeployer.body).toBe(200);
    expect(byDeployer.json()).toMatchObject({ applied: true, alias: { alias: 'champion', version: 2, protected: true } });
    const read = await r.inject('GET', url, undefined, viewerToken);
    expect(read.json()).toMatchObject({ model: 'http-guarded', version: 2, aliases: ['challenger', 'champion'] });
  });

  it('two-person rule: a protected move waits for a second deployer; the requester cannot approve it', async () => {
    await model('governed');
    const [deployerA, deployerB, editorToken] = [await r.token('deployer'), await r.token('deployer'), await r.token('editor')];
    expect((await r.inject('PUT', `${MODELS}/-/settings`, { requireApproval: true }, editorToken)).statusCode).toBe(403); // project admins only
    const settings = await r.inject('PUT', `${MODELS}/-/settings`, { requireApproval: true });
    expect(settings.json()).toEqual({ project: PROJECT, requireApproval: true, protectedAliases: ['champion'] });

    const requested = await r.inject('PUT', `${MODELS}/governed/aliases/champion`, { version: 2 }, deployerA);
    expect(requested.statusCode, requested.body).toBe(202);
    const approval = requested.json().approval;
    expect(approval).toMatchObject({ model: 'governed', alias: 'champion', version: 2, status: 'pending', approvedBy: null });
    expect((await r.inject('GET', `${MODELS}/governed/aliases/champion`)).json().code).toBe('FALAJ_ALIAS_NOT_FOUND'); // nothing moved yet
    // unprotected aliases are not held up
    expect((await r.inject('PUT', `${MODELS}/governed/aliases/challenger`, { version: 1 }, deployerA)).statusCode).toBe(200);

    const own = await r.inject('POST', `${MODELS}/-/approvals/${approval.id}/approve`, undefined, deployerA);
    expect(own.statusCode).toBe(403);
    expect(own.json().code).toBe('FALAJ_APPROVAL_REQUIRED');
    expect((await r.inject('POST', `${MODELS}/-/approvals/${approval.id}/approve`, undefined, editorToken)).statusCode).toBe(403);

    const approved = await r.inject('POST', `${MODELS}/-/approvals/${approval.id}/approve`, undefined, deployerB);
    expect(approved.statusCode, approved.body).toBe(200);
    const body = approved.json();
    expect(body.approval).toMatchObject({ id: approval.id, status: 'applied', requestedBy: approval.requestedBy });
    expect(body.approval.approvedBy).not.toBe(approval.requestedBy);
    expect(body.alias).toMatchObject({ alias: 'champion', version: 2, updatedBy: body.approval.approvedBy });
    expect((await aliases.getByAlias(PROJECT, 'governed', 'champion')).version).toBe(2);
    expect((await r.inject('POST', `${MODELS}/-/approvals/${approval.id}/approve`, undefined, deployerB)).json().code).toBe('FALAJ_APPROVAL_NOT_PENDING');

    const trail = (await r.t.services.audit.list({ project: PROJECT, limit: 5000 })).filter((e) => e.resource === 'model/governed/aliases/champion');
    expect(trail.map((e) => [e.action, e.outcome, e.actor])).toEqual([
      ['model.alias.request', 'success', approval.requestedBy],
      ['model.alias.approve', 'denied', approval.requestedBy],
      ['model.alias.approve', 'success', body.approval.approvedBy],
      ['model.alias.set', 'success', body.approval.approvedBy],
    ]);
    // the editor never reached the service: the route refused it, and the HTTP layer audited that
    const refusals = await r.audit('http.post');
    expect(refusals.some((e) => e.outcome === 'denied' && e.resource === '/api/v1/projects/:project/models/-/approvals/:id/approve' && e.details.code === 'FALAJ_PERMISSION_DENIED')).toBe(true);
    const set = trail.find((e) => e.action === 'model.alias.set')!;
    expect(set.details).toMatchObject({ from: null, to: 2, approvalId: approval.id, requestedBy: approval.requestedBy, approvedBy: body.approval.approvedBy, protected: true });
  });

  it('a newer request replaces a pending one; requests can be rejected; the current version needs no approval', async () => {
    await model('queued');
    await aliases.updateSettings(system, PROJECT, { requireApproval: true });
    const deployerA = ctxOf(person('deployer', 'deployer-a'));
    const deployerB = ctxOf(person('deployer', 'deployer-b'));
    const first = await aliases.setAlias(deployerA, PROJECT, 'queued', 'champion', 1);
    const second = await aliases.setAlias(deployerA, PROJECT, 'queued', 'champion', 2);
    if (first.applied || second.applied) throw new Error('expected approval requests');
    expect(await aliases.getApproval(PROJECT, first.approval.id)).toMatchObject({ status: 'rejected', note: `superseded by ${second.approval.id}` });
    expect((await failure(aliases.approve(deployerB, PROJECT, first.approval.id))).code).toBe('FALAJ_APPROVAL_NOT_PENDING');
    expect((await aliases.listApprovals(PROJECT, 'pending')).map((a) => a.id)).toEqual([second.approval.id]);

    expect(await aliases.reject(deployerB, PROJECT, second.approval.id, 'not before the audit')).toMatchObject({ status: 'rejected', approvedBy: 'deployer-b', note: 'not before the audit' });
    expect((await failure(aliases.getByAlias(PROJECT, 'queued', 'champion'))).code).toBe('FALAJ_ALIAS_NOT_FOUND');
    expect((await r.audit('model.alias.reject')).at(-1)).toMatchObject({ actor: 'deployer-b', details: { approvalId: second.approval.id } });

    const third = await aliases.setAlias(deployerA, PROJECT, 'queued', 'champion', 1);
    if (third.applied) throw new Error('expected an approval request');
    await aliases.approve(deployerB, PROJECT, third.approval.id);
    // pointing it where it already points changes nothing, so needs no second person
    expect((await aliases.setAlias(deployerA, PROJECT, 'queued', 'champion', 1)).applied).toBe(true);
    await aliases.updateSettings(system, PROJECT, { requireApproval: false });
  });

  it('two approvers at once: exactly one applies the move', async () => {
    await model('raced');
    await aliases.updateSettings(system, PROJECT, { requireApproval: true });
    const request = await aliases.setAlias(ctxOf(person('deployer', 'asker')), PROJECT, 'raced', 'champion', 2);
    if (request.applied) throw new Error('expected an approval request');
    const results = await Promise.allSettled(['one', 'two', 'three'].map((id) => aliases.approve(ctxOf(person('deployer', `approver-${id}`)), PROJECT, request.approval.id)));
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    for (const x of results) if (x.status === 'rejected') expect((x.reason as { code: string }).code).toBe('FALAJ_APPROVAL_NOT_PENDING');
    expect((await r.audit('model.alias.approve')).filter((e) => e.outcome === 'success' && e.details.approvalId === request.approval.id)).toHaveLength(1);
    await aliases.updateSettings(system, PROJECT, { requireApproval: false });
  });
});
