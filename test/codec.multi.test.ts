/**
 * Several codecs per split and a codec per actor (protocol version 2): the codec named in
 * RegisterReply, SplitPointChange and StepReply.newCodec (round trips, refusals, an old peer refused),
 * distributed.codecs in config, the live DEFP planner choosing (y, codec) per actor, and learners
 * with actors at one split point using different codecs — in-process over real gRPC and ZeroMQ (exact
 * bytes per step, a codec change mid-run) and as child processes (exact step accounting).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Actor } from '../src/actor/index.js';
import * as tf from '@tensorflow/tfjs-core';
import { FeatureCodec, packedBytes } from '../src/codec/index.js';
import { validateConfig } from '../src/config/load.js';
import { SplitCodecs } from '../src/learner/split-codecs.js';
import { plannerFor, type DefpPlanner } from '../src/learner/split-planner.js';
import { createModel } from '../src/model/index.js';
import { runDistributed } from '../src/run/distributed.js';
import { decode, decodeAs, encode, type Hello, PROTOCOL_VERSION, ProtocolError, type StepRequest } from '../src/transport/index.js';
import { learnerFixture, startLearner, TOKEN, until } from './helpers/security.js';

const fx = learnerFixture();
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof ProtocolError ? e.code : 'not a ProtocolError';
  }
  return undefined;
};

/** Bytes of one coded StepRequest of 2 envs at MinAtar layer 1 (shape [8, 8, 16]) with `codes` code bytes. */
const codedMessageBytes = (id: string, codes: number): number => {
  const beforePad = 12 + 16 + 13 + (2 + id.length) + 4; // header, ids/split/dtype/version/numEnvs, shape, codec id, codec version
  return Math.ceil(beforePad / 4) * 4 + 8 + 8 + 2 + codes; // pad, scale/offset, rewards, dones, codes
};
// 2 envs × 64 positions × 4 channels × 4 bits, and 2 × 64 × 16 × 8 bits
const AE4Q4 = packedBytes(2 * 64 * 4, 4);
const Q8 = packedBytes(2 * 64 * 16, 8);

describe('wire version 2: the codec of a split, per actor', () => {
  it('round-trips RegisterReply.codec, SplitPointChange.codec and StepReply.newCodec; without a codec StepReply is byte for byte version 1', () => {
    const reg = {
      type: 'RegisterReply' as const,
      accepted: true,
      reason: '',
      splitPoint: 1,
      numLayers: 2,
      paramVersion: 7,
      paramsAddress: 'tcp://h:1',
      uploadAddress: 'tcp://h:2',
    };
    expect(decode(encode({ ...reg, codec: 'ae4q4' }))).toEqual({ ...reg, codec: 'ae4q4' });
    expect(decode(encode(reg))).toEqual(reg);
    expect(encode({ ...reg, codec: 'ae4q4' }).length - encode(reg).length).toBe(5);
    const spc = { type: 'SplitPointChange' as const, splitPoint: 1, fromStepId: 0, reason: 'partition plan changed' };
    expect(decode(encode({ ...spc, codec: 'q8' }))).toEqual({ ...spc, codec: 'q8' });
    expect(decode(encode(spc))).toEqual(spc);
    const rep = {
      type: 'StepReply' as const,
      stepId: 3,
      numEnvs: 2,
      numActions: 3,
      actions: Int32Array.of(0, 2),
      logits: new Float32Array(6),
      values: Float32Array.of(0.5, -1),
    };
    const moved = decodeAs(encode({ ...rep, newSplitPoint: 1, newCodec: 'ae4q4' }), 'StepReply');
    expect([moved.newSplitPoint, moved.newCodec, Array.from(moved.actions), Array.from(moved.values)]).toEqual([1, 'ae4q4', [0, 2], [0.5, -1]]);
    // "ae4q4" (5 bytes) + padding to 4: 8 bytes more; none: header 12 + 16 + arrays, as in version 1
    expect(encode({ ...rep, newSplitPoint: 1, newCodec: 'ae4q4' }).length).toBe(12 + 16 + 8 + 2 * (8 + 12));
    expect(encode({ ...rep, newSplitPoint: 1 }).length).toBe(12 + 16 + 2 * (8 + 12));
    expect(decodeAs(encode({ ...rep, newSplitPoint: 1 }), 'StepReply').newCodec).toBeUndefined();
  });

  it('refuses a malformed codec id, a codec change without a split point, and a version-1 peer', () => {
    const rep = {
      type: 'StepReply' as const,
      stepId: 3,
      numEnvs: 1,
      numActions: 3,
      actions: Int32Array.of(0),
      logits: new Float32Array(3),
      values: Float32Array.of(0),
    };
    expect(() => encode({ ...rep, newCodec: 'q8' })).toThrow(/StepReply.newCodec is set without newSplitPoint/);
    expect(() => encode({ ...rep, newSplitPoint: 1, newCodec: 'Q 8' })).toThrow(/StepReply.newCodec "Q 8" is not a codec id/);
    expect(() => encode({ type: 'SplitPointChange', splitPoint: 1, fromStepId: 0, reason: '', codec: '' })).toThrow(
      /SplitPointChange.codec "" is not a codec id/,
    );
    // a codec id corrupted in the bytes: "ae4q4" → "ae4q\0"
    const buf = Buffer.from(encode({ ...rep, newSplitPoint: 1, newCodec: 'ae4q4' }));
    buf[12 + 14 + 2 + 4] = 0;
    expect(codeOf(() => decode(buf))).toBe('BAD_FIELD');
    expect(PROTOCOL_VERSION).toBe(3);
    const old = encode({ type: 'SplitPointChange', splitPoint: 1, fromStepId: 0, reason: '' }, 1);
    expect(() => decode(old)).toThrow(new RegExp(`protocolVersion is 1, this side speaks ${PROTOCOL_VERSION}: upgrade the older side`));
    expect(codeOf(() => decode(old))).toBe('VERSION_MISMATCH');
  });
});

describe('distributed.codecs', () => {
  const model = () => createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
  it('holds one codec per (y, id), the first one main; the contract lists them per split; errors name the field', () => {
    const m = model();
    const c = new SplitCodecs(m, { codecs: ['ae4q4', 'q8'], allowLossy: true, seed: 1 });
    expect(c.table()).toEqual({ '1': ['ae4q4', 'q8'] });
    expect(c.main()!.codec.spec.id).toBe('ae4q4');
    expect([c.at(1, 'q8')!.spec.id, c.at(1)!.spec.id, c.at(1, 'q4')]).toEqual(['q8', 'ae4q4', undefined]);
    c.dispose();
    expect(() => new SplitCodecs(m, { codecs: ['ae4q4', 'q8'], allowLossy: false, seed: 1 })).toThrow(
      /distributed.codecs "ae4q4" is lossy but distributed.allowLossyCodecs is false/,
    );
    expect(() => new SplitCodecs(m, { codecs: ['q8', 'zip'], allowLossy: true, seed: 1 })).toThrow(/distributed.codecs\[1\]: unknown codec "zip"/);
    expect(() => new SplitCodecs(m, { codecs: ['q8', 'q4@2'], allowLossy: true, seed: 1 })).toThrow(/"q4@2": distributed.codecs "q4" fits split points 1/);
    m.dispose();
    expect(() => validateConfig({ distributed: { codec: 'q8', codecs: ['q8'] } })).toThrow(
      /distributed.codecs.*both distributed.codec \("q8"\) and distributed.codecs are set/s,
    );
    expect(() => validateConfig({ distributed: { codecs: ['q8', 'q8'] } })).toThrow(/distributed.codecs.*lists a codec twice/s);
    expect(() => validateConfig({ distributed: { codecs: [] } })).toThrow(/distributed.codecs/);
    expect(validateConfig({ distributed: { codec: 'q8' } }).distributed.codecs).toBeUndefined();
  });

  it('fixed split points with distributed.splitCodecs: a codec not held at that split is refused at start-up', () => {
    const m = model();
    const c = new SplitCodecs(m, { codecs: ['ae4q4', 'q8'], allowLossy: true, seed: 1 });
    const cfg = (splitCodecs: string[]) => validateConfig({ mode: 'coknight', distributed: { splitPoints: [1, 1], codecs: ['ae4q4', 'q8'], splitCodecs } });
    expect(() => plannerFor(cfg(['ae4q4', 'q4']), m, 1e9, c)).toThrow(
      /distributed.splitCodecs\[1\] "q4": actor a1 sits at split point 1, where the learner holds ae4q4, q8/,
    );
    const p = plannerFor(cfg(['q8', '']), m, 1e9, c);
    const hello = { type: 'Hello' as const, protocolVersion: PROTOCOL_VERSION, token: '', numEnvs: 1, obsShape: [10, 10, 4], numActions: 3, splitPoint: 0 };
    expect(p.join('a0', { ...hello, actorId: 'a0' })).toMatchObject({ splitPoint: 1, codec: 'q8' });
    expect(p.join('a1', { ...hello, actorId: 'a1' }).codec).toBeUndefined(); // the learner's default at y = 1: the main codec
    c.dispose();
    m.dispose();
  });
});

/** A StepRequest at y = 1 (8×8×16 feature) carrying `feature` coded by `c`, stamped with codec `id` at `version`. */
function codedStep(c: FeatureCodec, id: string, version: number, feature: Float32Array, n: number): StepRequest {
  const e = c.encode(feature, n);
  return {
    type: 'StepRequest',
    stepId: 0,
    splitPoint: 1,
    headVersion: version,
    dtype: 'coded',
    shape: [8, 8, 16],
    numEnvs: n,
    payload: e.bytes,
    rewards: new Float32Array(n),
    dones: new Uint8Array(n),
    codec: { id, version, scale: Math.fround(e.scale), offset: Math.fround(e.offset) },
  };
}

describe('decoder versions', () => {
  it('decodes each step with the decoder published with its encoder: exact across updates; the current one once older than kept', () => {
    const m = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
    const held = new SplitCodecs(m, { codecs: ['ae4q4'], allowLossy: true, seed: 1, decoderVersions: 2 });
    const c = held.at(1, 'ae4q4')!;
    c.range = { min: 0, max: 2, count: 1 };
    // what an actor holds after taking the codec state published as the current version
    const actorCopy = (): FeatureCodec => {
      const a = new FeatureCodec('ae4q4', c.shape);
      a.load(c.state());
      return a;
    };
    const train = () => c.variables().forEach((v, i) => v.assign(tf.add(v, 0.03 * (i + 1))));
    const n = 2;
    const feature = Float32Array.from({ length: n * 1024 }, (_, i) => ((i * 37) % 11) / 5);
    const step = (a: FeatureCodec): StepRequest => codedStep(a, 'ae4q4', a.version, feature, n);
    // the actor's own decoder of that version decodes its codes as the learner should
    const reference = (a: FeatureCodec, r: StepRequest) =>
      Array.from(a.decode({ bytes: r.payload as Uint8Array, scale: r.codec!.scale, offset: r.codec!.offset }, n));
    held.stamp(1);
    const a1 = actorCopy();
    train();
    held.stamp(2);
    const a2 = actorCopy();
    train(); // trained on after version 2, not published yet
    const [r1, r2] = [step(a1), step(a2)];
    expect(Array.from(held.decode(r1).payload)).toEqual(reference(a1, r1));
    expect(Array.from(held.decode(r2).payload)).toEqual(reference(a2, r2));
    expect(held.inexactDecodes).toBe(0);
    // the current decoder would have decoded version 1's codes differently
    const current = Array.from(c.decode({ bytes: r1.payload as Uint8Array, scale: r1.codec!.scale, offset: r1.codec!.offset }, n));
    expect(current).not.toEqual(reference(a1, r1));
    held.stamp(3); // keeps versions 2 and 3 only
    expect(held.decoderVersions(1, 'ae4q4')).toEqual([2, 3]);
    expect(Array.from(held.decode(r1).payload)).toEqual(current);
    expect(held.inexactDecodes).toBe(1);
    expect(Array.from(held.decode(r2).payload)).toEqual(reference(a2, r2));
    for (const x of [a1, a2]) x.dispose();
    held.dispose();
    m.dispose();
  });

  it("an inference server's codecs, built from the contract and loaded from the published states, decode like the learner's", () => {
    const m = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
    const learner = new SplitCodecs(m, { codecs: ['ae4q4', 'q8'], allowLossy: true, seed: 1 });
    const c = learner.at(1, 'ae4q4')!;
    c.range = { min: 0, max: 2, count: 1 };
    learner.at(1, 'q8')!.range = { min: -1, max: 3, count: 1 };
    c.variables().forEach((v, i) => v.assign(tf.add(v, 0.05 * (i + 1)))); // trained away from any seed's start
    learner.stamp(4);
    const server = SplitCodecs.fromContract(m, learner.table()!);
    expect(server.table()).toEqual({ '1': ['ae4q4', 'q8'] });
    const n = 2;
    const feature = Float32Array.from({ length: n * 1024 }, (_, i) => ((i * 29) % 13) / 6);
    const request = (id: string): StepRequest => codedStep(learner.at(1, id)!, id, 4, feature, n);
    // before any state arrives the server's untrained decoder and its version 0 cannot decode version 4
    expect(() => server.decode(request('ae4q4'))).toThrow(/codec.version 4 is newer than the learner's 0/);
    for (const { y, id, state } of learner.states()) server.load(y, id, state);
    for (const id of ['ae4q4', 'q8']) expect(Array.from(server.decode(request(id)).payload), id).toEqual(Array.from(learner.decode(request(id)).payload));
    expect(server.decoderVersions(1, 'ae4q4')).toEqual([4]);
    expect(server.inexactDecodes).toBe(0);
    expect(() => server.load(2, 'q8', learner.states()[1].state)).toThrow(/"q8" at split point 2, which the learner's contract does not list/);
    learner.dispose();
    server.dispose();
    m.dispose();
  });
});

/** Budgets and profiles where DEFP puts two actors at y = 1 with different codecs, and a third moves one of them. */
const PLAN = { edgeFlops: 1e9, computeBudget: 540_000 };
const PROFILES = { a: { flops: 2e6, linkBytesPerSec: 3e4 }, b: { flops: 2e6, linkBytesPerSec: 1e4 }, c: { flops: 2e6, linkBytesPerSec: 1e5 } };

describe('the live DEFP planner returns (y, codec) per actor', () => {
  it('offers every held codec at its split; two actors at y = 1 get q8 and ae4q4; a join moves one to the other codec', () => {
    const m = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
    const codecs = new SplitCodecs(m, { codecs: ['ae4q4', 'q8'], allowLossy: true, seed: 1 });
    const p = plannerFor(validateConfig({ mode: 'coknight', distributed: { codecs: ['ae4q4', 'q8'] }, partition: PLAN }), m, 1e9, codecs) as DefpPlanner;
    expect(p.system.layers[0].codecs!.map((c) => [c.id, c.bytes, c.edgeFlops])).toEqual([
      ['ae4q4', 128, 8192],
      ['q8', 1024, 0],
    ]);
    const hello = (id: keyof typeof PROFILES): Hello => ({
      type: 'Hello',
      protocolVersion: PROTOCOL_VERSION,
      actorId: id,
      token: '',
      numEnvs: 2,
      obsShape: [10, 10, 4],
      numActions: 3,
      splitPoint: 0,
      profile: PROFILES[id],
    });
    p.join('a', hello('a'));
    p.join('b', hello('b'));
    // the slower link (b) gets the 128-B codec; a, with no encoder to run, the 1,024-B one
    expect([p.partitioner.splitOf('a'), p.codecOf('a'), p.partitioner.splitOf('b'), p.codecOf('b')]).toEqual([1, 'q8', 1, 'ae4q4']);
    const j = p.join('c', hello('c'));
    expect(j).toMatchObject({ splitPoint: 1, codec: 'q8' });
    expect(j.changes).toContainEqual({ actorId: 'a', splitPoint: 1, codec: 'ae4q4' });
    expect(p.describe().budgets!.compute.used).toBeLessThanOrEqual(PLAN.computeBudget);
    // lossy codecs forbidden: no codec is offered, and the learner refuses to hold one
    const lossless = validateConfig({ mode: 'coknight', distributed: { codecs: ['f32z'], allowLossyCodecs: false }, partition: PLAN });
    const held = new SplitCodecs(m, { codecs: ['f32z'], allowLossy: false, seed: 1 });
    expect((plannerFor(lossless, m, 1e9, held) as DefpPlanner).system.layers[0].codecs!.map((c) => c.id)).toEqual(['f32z']);
    held.dispose();
    codecs.dispose();
    m.dispose();
  });
});

describe('actors at one split point with different codecs', () => {
  it('in-process, over real gRPC and ZeroMQ: a0 sends ae4q4 and a1 q8, each step exactly its packed size', async () => {
    fx.svc = await startLearner({ mode: 'coknight', distributed: { splitPoints: [1, 1], codecs: ['ae4q4', 'q8'], splitCodecs: ['ae4q4', 'q8'] } });
    const steps = 30;
    const actors = ['a0', 'a1'].map((id) => new Actor({ learner: fx.svc!.address, token: TOKEN, actorId: id, numEnvs: 2, maxSteps: steps }));
    const [s0, s1] = await Promise.all(actors.map((a) => a.run()));
    const hello = (id: string) =>
      encode({ type: 'Hello', protocolVersion: PROTOCOL_VERSION, actorId: id, token: TOKEN, numEnvs: 2, obsShape: [10, 10, 4], numActions: 3, splitPoint: 0 });
    expect([s0.splitPoint, s0.codec, s1.splitPoint, s1.codec]).toEqual([1, 'ae4q4', 1, 'q8']);
    expect(codedMessageBytes('ae4q4', AE4Q4)).toBe(326);
    expect(codedMessageBytes('q8', Q8)).toBe(2118);
    expect(s0.bytes.inference.sentBytes).toBe(hello('a0').length + steps * 326);
    expect(s1.bytes.inference.sentBytes).toBe(hello('a1').length + steps * 2118);
    const reg = fx.svc.learner.registry;
    expect(reg.get('a0')!.codecTraffic).toEqual({ ae4q4: { steps, bytes: steps * AE4Q4 } });
    expect(reg.get('a1')!.codecTraffic).toEqual({ q8: { steps, bytes: steps * Q8 } });
    const acc = fx.svc.learner.stepAccounting();
    expect(acc.served).toBe(2 * steps * 2);
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
  });

  it('in-process, DEFP live: two actors at y = 1 with q8 and ae4q4, then a join moves one of them to the other codec mid-run', async () => {
    fx.svc = await startLearner({ mode: 'coknight', distributed: { codecs: ['ae4q4', 'q8'] }, partition: PLAN });
    const reg = fx.svc.learner.registry;
    const actor = (id: keyof typeof PROFILES) =>
      new Actor({ learner: fx.svc!.address, token: TOKEN, actorId: id, numEnvs: 2, profile: PROFILES[id], maxSteps: 100_000 });
    const a = actor('a');
    const runA = a.run();
    await until(() => (reg.get('a')?.stepsServed ?? 0) > 0, 30_000, 'a served');
    const b = actor('b');
    const runB = b.run();
    await until(() => (reg.get('a')?.codecTraffic.q8?.steps ?? 0) >= 5 && (reg.get('b')?.codecTraffic.ae4q4?.steps ?? 0) >= 5, 30_000, 'a on q8, b on ae4q4');
    expect([reg.get('a')!.splitPoint, reg.get('a')!.codec, reg.get('b')!.splitPoint, reg.get('b')!.codec]).toEqual([1, 'q8', 1, 'ae4q4']);
    const c = actor('c');
    const runC = c.run();
    await until(() => (reg.get('a')?.codecTraffic.ae4q4?.steps ?? 0) >= 5 && (reg.get('c')?.codecTraffic.q8?.steps ?? 0) >= 5, 30_000, 'a on ae4q4, c on q8');
    for (const x of [a, b, c]) x.stop();
    const [sa, sb, sc] = await Promise.all([runA, runB, runC]);
    expect([sa.splitPoint, sa.codec, sb.splitPoint, sc.splitPoint, sc.codec]).toEqual([1, 'ae4q4', 2, 1, 'q8']);
    expect(sa.codecChanges).toBe(1); // q8 → ae4q4 at y = 1 (its earlier move from y = 0 to y = 1 is a split change)
    // every coded step the learner decoded is exactly its codec's packed size
    for (const id of ['a', 'b', 'c']) {
      const t = reg.get(id)!.codecTraffic;
      for (const [codec, { steps, bytes }] of Object.entries(t)) expect(bytes).toBe(steps * (codec === 'q8' ? Q8 : AE4Q4));
      expect(reg.get(id)!.unknownCodecSteps).toBe(0);
    }
    expect(fx.svc.learner.serverStats!.rejectedByCode.UNKNOWN_CODEC ?? 0).toBe(0);
    const acc = fx.svc.learner.stepAccounting();
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
  }, 120_000);

  it('child processes: a0 with ae4q4 and a1 with q8 at y = 1 train with exact step accounting and exact code bytes per step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-codecs-'));
    const config = validateConfig(
      {
        mode: 'coknight',
        frames: 400,
        seed: 3,
        env: { id: 'minatar/breakout' },
        hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
        distributed: {
          actors: 2,
          envsPerActor: 2,
          maxWaitMs: 2,
          metricsListen: '127.0.0.1:0',
          token: 'codecs-token',
          splitPoints: [1, 1],
          codecs: ['ae4q4', 'q8'],
          splitCodecs: ['ae4q4', 'q8'],
        },
        run: { dir, progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      },
      'test',
    );
    const s = (await runDistributed(config, { spawnActors: 2, log: () => {} })) as Record<string, any>;
    expect(s.codecs).toEqual({ '1': ['ae4q4', 'q8'] });
    const byId = Object.fromEntries(s.actors.map((a: any) => [a.id, a]));
    expect([byId.a0.splitPoint, byId.a0.codec, byId.a1.splitPoint, byId.a1.codec]).toEqual([1, 'ae4q4', 1, 'q8']);
    for (const [id, codec, size] of [
      ['a0', 'ae4q4', AE4Q4],
      ['a1', 'q8', Q8],
    ] as const) {
      const t = byId[id].codecTraffic;
      expect(Object.keys(t)).toEqual([codec]);
      expect(t[codec].steps).toBeGreaterThan(0);
      expect(t[codec].bytes).toBe(t[codec].steps * size);
      // every step served from it came as one coded message of numEnvs = 2
      expect(byId[id].stepsServed).toBeLessThanOrEqual(2 * t[codec].steps);
      expect(byId[id].stepsServed).toBeGreaterThanOrEqual(2 * (t[codec].steps - 1));
    }
    const acc = s.stepAccounting;
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
    expect(acc.assembled).toBe(acc.trained + acc.queued + acc.discarded);
    expect(acc.duplicates).toBe(0);
    expect(acc.trained).toBeGreaterThanOrEqual(400);
    expect(s.rejected.UNKNOWN_CODEC ?? 0).toBe(0);
  }, 180_000);
});
