import { createHash, randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKey } from '../../src/core/crypto/index.js';
import { createModelSigner, type ModelRegistry } from '../../src/registry/index.js';
import { linearRegressionOnnx } from './onnx-builder.js';
import { ctxOf, ENGINES, failure, person, PROJECT, registryApp, type RegistryApp } from './registry-app.js';

const editor = ctxOf(person('editor'));
const auditor = ctxOf(person('auditor'));
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Signing and verification with the real ModelSigner (the platform's Ed25519 key) over
 * the real ArtifactStore (encrypted, content-addressed blobs in the data directory):
 * every way of swapping a model's bytes or its signature is caught and audited.
 */
describe.each(ENGINES)('signed model versions, metadata on $name', (engine) => {
  let r: RegistryApp;
  let models: ModelRegistry;
  beforeAll(async () => {
    r = await registryApp(engine);
    models = r.t.services.models;
  });
  afterAll(async () => {
    await r?.dispose();
  });

  /** A fresh model whose v1 holds a unique ONNX file and a unique config file. */
  async function registered(name: string) {
    const onnx = linearRegressionOnnx(3 + Math.floor(Math.random() * 1000)); // unique bytes: blobs are shared by content
    const config = JSON.stringify({ id: randomUUID() });
    const runId = await r.logRun({ 'model/model.onnx': onnx, 'model/conf/config.json': config });
    await models.createModel(editor, PROJECT, { name });
    const version = await models.createVersion(editor, PROJECT, name, { source: `runs:/${runId}/model` });
    return { onnx, config, runId, version };
  }

  /** Flips one byte of the encrypted blob holding `content`, as someone with disk access would. */
  async function flipBlobByte(content: Buffer | string): Promise<void> {
    const digest = sha256(content);
    const file = await open(join(r.t.dataDir, 'blobs', 'cas', digest.slice(0, 2), digest), 'r+');
    try {
      const { size } = await file.stat();
      const byte = Buffer.alloc(1);
      await file.read(byte, 0, 1, size - 20);
      byte[0]! ^= 0xff;
      await file.write(byte, 0, 1, size - 20);
    } finally {
      await file.close();
    }
  }

  const tamperEvents = async (name: string) => (await r.audit('model.tampered')).filter((e) => e.resource === `model/${name}/versions/1`);

  it('verifies an untouched version, deep and shallow, and audits each check', async () => {
    await registered('clean');
    expect(await models.verifyVersion(auditor, PROJECT, 'clean', 1)).toEqual({ model: 'clean', version: 1, verified: true, files: 2, keyId: r.t.services.signingKey.keyId, deep: true });
    expect((await models.verifyVersion(auditor, PROJECT, 'clean', 1, { deep: false })).deep).toBe(false);
    expect((await r.audit('model.verify')).filter((e) => e.resource === 'model/clean/versions/1').map((e) => [e.actor, e.details.deep])).toEqual([
      ['user-auditor', true],
      ['user-auditor', false],
    ]);
    expect(await tamperEvents('clean')).toEqual([]);
  });

  it('catches bytes changed in the blob store: deep verification and reads fail, with model.tampered', async () => {
    const { onnx } = await registered('flipped');
    await flipBlobByte(onnx);
    const err = await failure(models.verifyVersion(auditor, PROJECT, 'flipped', 1));
    expect(err.code).toBe('FALAJ_ARTIFACT_TAMPERED');
    const [event] = await tamperEvents('flipped');
    expect(event).toMatchObject({ actor: 'user-auditor', outcome: 'failure', details: { code: 'FALAJ_ARTIFACT_TAMPERED' } });
    // a read of the file is refused as it streams; the audit event follows
    const { stream } = await models.openVersionFile(editor, PROJECT, 'flipped', 1, 'model.onnx');
    expect((await failure(readAll(stream))).code).toBe('FALAJ_ARTIFACT_TAMPERED');
    await expect.poll(async () => (await tamperEvents('flipped')).length).toBe(2);
  });

  it('catches a swapped artifact record (another file under the same name): the signature no longer matches', async () => {
    const { runId } = await registered('swapped');
    const other = 'a different config';
    await r.t.services.artifacts.put(editor, PROJECT, runId, 'model/conf/config.json', Buffer.from(other));
    const err = await failure(models.verifyVersion(auditor, PROJECT, 'swapped', 1, { deep: false }));
    expect(err.code).toBe('FALAJ_ARTIFACT_TAMPERED');
    expect(err.message).toMatch(/conf\/config\.json/);
    expect((await failure(models.openVersionFile(editor, PROJECT, 'swapped', 1, 'model.onnx'))).code).toBe('FALAJ_ARTIFACT_TAMPERED');
    expect((await tamperEvents('swapped')).length).toBe(2);
  });

  it('catches an added file: the model is exactly the signed files', async () => {
    const { runId } = await registered('added');
    await r.t.services.artifacts.put(editor, PROJECT, runId, 'model/backdoor.py', Buffer.from('import os'));
    const err = await failure(models.verifyVersion(auditor, PROJECT, 'added', 1, { deep: false }));
    expect(err.code).toBe('FALAJ_ARTIFACT_TAMPERED');
    expect(err.message).toMatch(/backdoor\.py/);
  });

  it('catches an edited signature, a re-signed statement and an edited file record in the database', async () => {
    const { version } = await registered('edited');
    const db = r.t.services.database.db;
    const setSignature = (envelope: unknown) => db.updateTable('model_versions').set({ signature: JSON.stringify(envelope) }).where('model', '=', 'edited').execute();
    const statement = JSON.parse(Buffer.from(version.signature!.payload, 'base64').toString('utf8'));

    // 1. the statement edited to vouch for other bytes, the signature left as it was
    statement.subject[1].digest.sha256 = 'f'.repeat(64);
    await setSignature({ ...version.signature, payload: Buffer.from(JSON.stringify(statement)).toString('base64') });
    expect((await failure(models.verifyVersion(auditor, PROJECT, 'edited', 1, { deep: false }))).code).toBe('FALAJ_SIGNATURE_INVALID');

    // 2. a valid envelope over the same files, signed with someone else's key
    const forged = createModelSigner(SigningKey.generate()).sign('models:/edited/1', version.files);
    await setSignature(forged);
    expect((await failure(models.verifyVersion(auditor, PROJECT, 'edited', 1, { deep: false }))).code).toBe('FALAJ_SIGNATURE_INVALID');

    // 3. not an envelope at all
    await db.updateTable('model_versions').set({ signature: '{oops' }).where('model', '=', 'edited').execute();
    expect((await failure(models.verifyVersion(auditor, PROJECT, 'edited', 1, { deep: false }))).code).toBe('FALAJ_SIGNATURE_INVALID');

    // 4. the signature restored, but the registry's own file list edited
    await setSignature(version.signature);
    expect((await models.verifyVersion(auditor, PROJECT, 'edited', 1)).verified).toBe(true);
    await db.updateTable('model_versions').set({ files: JSON.stringify([{ ...version.files[0], bytes: 1 }, version.files[1]]) }).where('model', '=', 'edited').execute();
    expect((await failure(models.verifyVersion(auditor, PROJECT, 'edited', 1, { deep: false }))).code).toBe('FALAJ_ARTIFACT_TAMPERED');

    expect((await tamperEvents('edited')).map((e) => e.details.code)).toEqual(['FALAJ_SIGNATURE_INVALID', 'FALAJ_SIGNATURE_INVALID', 'FALAJ_SIGNATURE_INVALID', 'FALAJ_ARTIFACT_TAMPERED']);
  });

  it('serves a verified file over HTTP (audited), nested names included; 422 once tampered', async () => {
    const { onnx, config } = await registered('served');
    const url = `/api/v1/projects/${PROJECT}/models/served/versions/1`;
    const res = await r.inject('GET', `${url}/files/model.onnx`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.rawPayload.equals(onnx)).toBe(true);
    expect(res.headers['x-falaj-sha256']).toBe(sha256(onnx));
    expect((await r.inject('GET', `${url}/files/conf/config.json`)).body).toBe(config);
    expect((await r.inject('GET', `${url}/files/nope.bin`)).json().code).toBe('FALAJ_ARTIFACT_NOT_FOUND');
    expect((await r.audit('model.read')).filter((e) => e.resource === 'model/served/versions/1').map((e) => e.details.file)).toEqual(['model.onnx', 'conf/config.json']);
    const viewer = await r.token('viewer');
    expect((await r.inject('GET', `${url}/files/model.onnx`, undefined, viewer)).statusCode).toBe(403); // artifact:read

    expect((await r.inject('POST', `${url}/verify`)).json()).toMatchObject({ verified: true, files: 2, deep: true });
    await flipBlobByte(config);
    const tampered = await r.inject('POST', `${url}/verify`);
    expect(tampered.statusCode).toBe(422);
    expect(tampered.json().code).toBe('FALAJ_ARTIFACT_TAMPERED');
  });
});
