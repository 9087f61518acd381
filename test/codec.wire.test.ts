/**
 * Feature codecs on the wire: coded step messages (exact sizes), a learner that decodes them,
 * rejects a codec it does not hold and corrupted code buffers with a gRPC status (counted, learner
 * unharmed), and a learner with actors at a compressed split — in-process over real gRPC and ZeroMQ,
 * and as real child processes — training with exact step accounting.
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { packedBytes } from '../src/codec/index.js';
import { Actor } from '../src/actor/index.js';
import { createModel, headActivations } from '../src/model/index.js';
import { plannerFor, type DefpPlanner } from '../src/learner/split-planner.js';
import { SplitCodecs } from '../src/learner/split-codecs.js';
import { runDistributed } from '../src/run/distributed.js';
import type { LearnerService } from '../src/run/learner-service.js';
import { decodeAs, encode, openRawInferenceStream, PROTOCOL_VERSION, ProtocolError, type StepRequest } from '../src/transport/index.js';
import { learnerFixture, register, startLearner, statusOf, TOKEN } from './helpers/security.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../src/config/load.js';

const fx = learnerFixture();
const CODEC = { mode: 'coknight', distributed: { splitPoints: [1], codec: 'ae4q4' } };

/** A coded step at y = 1 as a real actor makes it: layer 1 of the learner's network, then the codec. */
async function codedStep(s: LearnerService, stepId: number, numEnvs = 2): Promise<Omit<StepRequest, 'type'>> {
  const m = s.learner.model;
  const obs = new Uint8Array(numEnvs * 400).map((_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
  const codec = s.learner.codecs.at(1)!;
  const c = codec.encode(await headActivations(m, obs, numEnvs, 1), numEnvs);
  return {
    stepId,
    splitPoint: 1,
    headVersion: 0,
    dtype: 'coded',
    shape: [8, 8, 16],
    numEnvs,
    payload: c.bytes,
    rewards: new Float32Array(numEnvs),
    dones: new Uint8Array(numEnvs),
    codec: { id: 'ae4q4', version: codec.version, scale: c.scale, offset: c.offset },
  };
}

describe('coded StepRequest', () => {
  it('carries exactly the packed codes: 326 bytes for 2 envs of ae4q4 on MinAtar layer 1 (8,192 as float32)', async () => {
    fx.svc = await startLearner(CODEC);
    const req = await codedStep(fx.svc, 0);
    // 2 envs × 64 positions × 4 channels × 4 bits = 256 bytes (Eq. 3: R = 16·32/(4·4) = 32)
    expect(req.payload.length).toBe(packedBytes(2 * 64 * 4, 4));
    expect(req.payload.length).toBe(256);
    const buf = encode({ type: 'StepRequest', ...req });
    // header 12 + ids/split/dtype/version/numEnvs 16 + shape 13 + codec id 7 + codec version 4 + scale/offset 8 + rewards 8 + dones 2 + codes 256
    expect(buf.length).toBe(12 + 16 + 13 + 7 + 4 + 8 + 8 + 2 + 256);
    const back = decodeAs(buf, 'StepRequest');
    expect(back.codec).toEqual({ ...req.codec, scale: Math.fround(req.codec!.scale), offset: Math.fround(req.codec!.offset) });
    expect(Array.from(back.payload)).toEqual(Array.from(req.payload));
    expect(() => encode({ type: 'StepRequest', ...req, splitPoint: 0 })).toThrow(/coded needs splitPoint > 0/);
    expect(() => encode({ type: 'StepRequest', ...req, codec: undefined })).toThrow(/codec is missing/);
    expect(() => encode({ type: 'StepRequest', ...req, codec: { ...req.codec!, scale: NaN } })).toThrow(ProtocolError);
  });

  it('the learner decodes and serves it; the contract names the codec per split point', async () => {
    fx.svc = await startLearner(CODEC);
    const a = await register(fx.svc, 'a0', 2, 1);
    fx.clients.push(a);
    expect(a.contract.codecs).toEqual({ '1': ['ae4q4'] });
    expect(a.reply.codec).toBe('ae4q4');
    expect(a.reply.splitPoint).toBe(1);
    const reply = await a.client.step(await codedStep(fx.svc, 0));
    expect(reply.actions.length).toBe(2);
    expect(fx.svc.learner.registry.get('a0')!.stepsServed).toBe(2);
  });

  it.each([
    [
      'a codec the learner does not hold',
      (r: Omit<StepRequest, 'type'>) => ({ ...r, codec: { ...r.codec!, id: 'ae2q4' } }),
      grpc.status.FAILED_PRECONDITION,
      'UNKNOWN_CODEC',
    ],
    ['a code buffer one byte short', (r: Omit<StepRequest, 'type'>) => ({ ...r, payload: r.payload.subarray(1) }), grpc.status.INVALID_ARGUMENT, 'BAD_LENGTH'],
  ])('%s ends that stream with a clear status, is counted, and the learner serves others', async (_what, corrupt, status, code) => {
    fx.svc = await startLearner(CODEC);
    const bad = await register(fx.svc, 'bad', 2, 1);
    fx.clients.push(bad);
    await expect(bad.client.step(corrupt(await codedStep(fx.svc, 0)))).rejects.toMatchObject({ code: status });
    expect(fx.svc.learner.serverStats!.rejectedByCode[code]).toBe(1);
    expect(fx.svc.learner.registry.get('bad')!.unknownCodecSteps).toBe(code === 'UNKNOWN_CODEC' ? 1 : 0);
    const good = await register(fx.svc, 'good', 2, 1);
    fx.clients.push(good);
    expect((await good.client.step(await codedStep(fx.svc, 0))).actions.length).toBe(2);
  });

  it('a NaN scale in the bytes (as a corrupted message has it) is rejected as NON_FINITE, counted, the learner unharmed', async () => {
    fx.svc = await startLearner(CODEC);
    const buf = Buffer.from(encode({ type: 'StepRequest', ...(await codedStep(fx.svc, 0, 1)) }));
    // scale sits after header 12 + 16 + shape 13 + id 7 + version 4 = offset 52
    expect(buf.readFloatLE(52)).toBe(Math.fround((await codedStep(fx.svc, 0, 1)).codec!.scale));
    buf.writeFloatLE(NaN, 52);
    expect(() => decodeAs(buf, 'StepRequest')).toThrow(/codec.scale\/offset/);
    const raw = openRawInferenceStream({ address: fx.svc.address, token: TOKEN });
    const status = statusOf(raw.stream);
    const registered = new Promise((r) => raw.stream.once('data', r));
    raw.stream.write(
      encode({
        type: 'Hello',
        protocolVersion: PROTOCOL_VERSION,
        actorId: 'nan',
        token: TOKEN,
        numEnvs: 1,
        obsShape: [10, 10, 4],
        numActions: 3,
        splitPoint: 1,
      }),
    );
    await registered;
    raw.stream.write(buf);
    expect((await status).code).toBe(grpc.status.INVALID_ARGUMENT);
    raw.close();
    expect(fx.svc.learner.serverStats!.rejectedByCode.NON_FINITE).toBe(1);
    const good = await register(fx.svc, 'good', 2, 1);
    fx.clients.push(good);
    expect((await good.client.step(await codedStep(fx.svc, 0))).actions.length).toBe(2);
  });
});

describe('actors at a compressed split train with exact step accounting', () => {
  it('in-process actor over real gRPC and ZeroMQ: every step message is the packed size', async () => {
    fx.svc = await startLearner({ ...CODEC, frames: 10_000_000 });
    const actor = new Actor({ learner: fx.svc.address, token: TOKEN, actorId: 'a0', numEnvs: 2, maxSteps: 40 });
    const stats = await actor.run();
    expect(stats.splitPoint).toBe(1);
    const hello = encode({
      type: 'Hello',
      protocolVersion: PROTOCOL_VERSION,
      actorId: 'a0',
      token: TOKEN,
      numEnvs: 2,
      obsShape: [10, 10, 4],
      numActions: 3,
      splitPoint: 0,
    });
    const inf = stats.bytes.inference;
    expect(inf.sentMessages).toBe(1 + 40);
    expect(inf.sentBytes).toBe(hello.length + 40 * 326);
    const acc = fx.svc.learner.stepAccounting();
    expect(acc.served).toBe(80);
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
  });

  it('two actor processes at y = 1 with ae4q4: the run trains, accounting exact, codec in the summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-codec-'));
    const config = validateConfig(
      {
        mode: 'coknight',
        frames: 400,
        seed: 3,
        env: { id: 'minatar/breakout' },
        hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
        distributed: { actors: 2, envsPerActor: 2, maxWaitMs: 2, metricsListen: '127.0.0.1:0', token: 'codec-token', splitPoints: [1, 1], codec: 'ae4q4' },
        run: { dir, progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      },
      'test',
    );
    const s = (await runDistributed(config, { spawnActors: 2, log: () => {} })) as Record<string, any>;
    expect(s.codecs).toEqual({ '1': ['ae4q4'] });
    expect(s.actors).toHaveLength(2);
    for (const a of s.actors) {
      expect(a.splitPoint).toBe(1);
      expect(a.stepsServed).toBeGreaterThan(0);
    }
    const acc = s.stepAccounting;
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
    expect(acc.assembled).toBe(acc.trained + acc.queued + acc.discarded);
    expect(acc.duplicates).toBe(0);
    expect(acc.trained).toBeGreaterThanOrEqual(400);
    expect(s.rejected.UNKNOWN_CODEC ?? 0).toBe(0);
  }, 120_000);
});

describe('the learner side of distributed.codec', () => {
  const model = () => createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
  it('the live DEFP planner prices a coded split at the codec and moves an actor there under a bandwidth cap', () => {
    const m = model();
    const codecs = new SplitCodecs(m, { codecs: ['ae4q4'], allowLossy: true, seed: 1 });
    const cfg = validateConfig({ mode: 'coknight', distributed: { codec: 'ae4q4' }, partition: { edgeFlops: 1e8, bandwidthBudget: 200 } });
    const p = plannerFor(cfg, m, 1e8, codecs) as DefpPlanner;
    expect(p.system.layers[0]).toMatchObject({ plain: false, codecs: [{ id: 'ae4q4', bytes: 128, deviceFlops: 8192, edgeFlops: 8192 }] });
    // f_d = 1 MFLOP/s, 10 kB/s: y = 0 (400 B) does not fit R_b = 200, the coded y = 1 (128 B) does and beats local
    const hello = {
      type: 'Hello' as const,
      protocolVersion: PROTOCOL_VERSION,
      actorId: 'pi',
      token: '',
      numEnvs: 1,
      obsShape: [10, 10, 4],
      numActions: 3,
      splitPoint: 0,
    };
    expect(p.join('pi', { ...hello, profile: { flops: 1e6, linkBytesPerSec: 1e4 } }).splitPoint).toBe(1);
    codecs.dispose();
    m.dispose();
  });
  it('config errors name the field', () => {
    const m = model();
    expect(() => new SplitCodecs(m, { codecs: ['ae4q4'], allowLossy: false, seed: 1 })).toThrow(
      /distributed.codec "ae4q4" is lossy but distributed.allowLossyCodecs is false/,
    );
    expect(() => new SplitCodecs(m, { codecs: ['zip'], allowLossy: true, seed: 1 })).toThrow(/distributed.codec: unknown codec "zip"/);
    expect(() => new SplitCodecs(m, { codecs: ['ae16q4'], allowLossy: true, seed: 1 })).toThrow(/fits no split point/);
    new SplitCodecs(m, { codecs: ['f32z'], allowLossy: false, seed: 1 }).dispose(); // lossless: allowed
    m.dispose();
  });
});
