/**
 * Attacks on the learner's ZeroMQ channels, on loopback, against a learner started with a token:
 * forged uploads without keys, stolen parameters, a key used for another actor, memory exhaustion
 * through partial uploads and oversized frames, far-future step ids. Each attack is bounded in count
 * and time; the assertions are on the learner's state after it.
 */
import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { curveKeyPair, decodeStepBlock, encode, encodeStepBlock, UploadPuller } from '../src/transport/index.js';
import {
  forgedUnroll,
  obsBlock,
  pushSocket,
  register,
  sendAll,
  sleep,
  startLearner,
  subscribeFor,
  until,
  uploadMessage,
  learnerFixture,
} from './helpers/security.js';

const fx = learnerFixture();

describe('ZeroMQ channels are authenticated and encrypted (CURVE)', () => {
  it('forged uploads without the keys are never accepted, even naming a registered actor', async () => {
    fx.svc = await startLearner();
    const a0 = await register(fx.svc, 'a0');
    fx.clients.push(a0);
    const block = forgedUnroll(fx.svc, 2, 1000);
    const forged = Array.from({ length: 50 }, (_, i) => uploadMessage('a0', i, block, { registration: 1 }));
    // A plain socket (no CURVE), and a CURVE socket with a keypair the learner never handed out.
    const plain = pushSocket(a0.reply.uploadAddress);
    const own = curveKeyPair();
    const selfKeyed = pushSocket(a0.reply.uploadAddress, { serverKey: a0.keys.serverKey, ...own });
    // ZeroMQ may queue them for a peer whose handshake never completes: what counts is the learner's state.
    await sendAll(plain, forged.slice(0, 25));
    await sendAll(selfKeyed, forged.slice(25));
    await sleep(500);
    plain.close();
    selfKeyed.close();
    const l = fx.svc.learner;
    const a = l.registry.get('a0')!;
    expect(a.stepsLocal).toBe(0);
    expect(a.framesUploaded).toBe(0);
    expect(l.assembler.pendingUnrolls()).toBe(0);
    expect(l.assembler.stepsAssembled).toBe(0);
    expect(fx.svc.recorder.episodes.length).toBe(0);
    expect(l.uploadPending('a0')).toEqual({ partials: 0, bytes: 0 });
    expect(l.zmqAuthDenied).toBeGreaterThan(0);
  });

  it('an unauthenticated subscriber receives no parameters; the registered actor does', async () => {
    // IMPALA mode: the actor holds all K layers, so the learner publishes its head.
    fx.svc = await startLearner({ mode: 'impala' });
    const a0 = await register(fx.svc, 'a0');
    fx.clients.push(a0);
    const addr = a0.reply.paramsAddress;
    // The learner republishes every layer about every 0.5 s: 1.5 s is three rounds.
    const own = curveKeyPair();
    const [plain, selfKeyed, legit] = await Promise.all([
      subscribeFor(addr, 1500),
      subscribeFor(addr, 1500, { serverKey: a0.keys.serverKey, ...own }),
      subscribeFor(addr, 3000, a0.keys),
    ]);
    expect(plain).toBe(0);
    expect(selfKeyed).toBe(0);
    expect(legit).toBe(1);
  });

  it("actor A's key cannot post for actor B: not on B's socket, not naming B on its own", async () => {
    fx.svc = await startLearner();
    const a = await register(fx.svc, 'a');
    const b = await register(fx.svc, 'b');
    fx.clients.push(a, b);
    const l = fx.svc.learner;
    const block = forgedUnroll(fx.svc, 2, 1);
    // A's keys on B's upload socket: the handshake is refused (B's socket admits only B's key).
    const onB = pushSocket(b.reply.uploadAddress, a.keys);
    await sendAll(onB, [uploadMessage('b', 0, block, { registration: 1 })]);
    await sleep(300);
    onB.close();
    expect(l.registry.get('b')!.stepsLocal).toBe(0);
    expect(l.intake.rejected).toEqual({});
    // A's keys on A's own socket, naming B: rejected as WRONG_ACTOR.
    const onA = pushSocket(a.reply.uploadAddress, a.keys);
    expect(await sendAll(onA, [uploadMessage('b', 0, block, { registration: 1 })])).toBe(1);
    await until(() => (l.intake.rejected.chunk_WRONG_ACTOR ?? 0) >= 1, 3000, 'the WRONG_ACTOR rejection');
    // And an upload without its registration is refused too.
    expect(await sendAll(onA, [uploadMessage('a', 1, block, undefined)])).toBe(1);
    await until(() => (l.intake.rejected.BAD_FIELD ?? 0) >= 1, 3000, 'the missing-registration rejection');
    onA.close();
    expect(l.registry.get('b')!.stepsLocal).toBe(0);
    expect(l.registry.get('a')!.stepsLocal).toBe(0);
    expect(l.assembler.pendingUnrolls()).toBe(0);
  });

  it('a token holder cannot poison training: rewards of 3e38 and logits of 1e30 are rejected at intake', async () => {
    fx.svc = await startLearner();
    const a = await register(fx.svc, 'a');
    fx.clients.push(a);
    const l = fx.svc.learner;
    const push = pushSocket(a.reply.uploadAddress, a.keys);
    const msgs = Array.from({ length: 20 }, (_, i) =>
      uploadMessage('a', i, forgedUnroll(fx.svc!, 2, i < 10 ? 3e38 : 0, 0, undefined, i < 10 ? 0 : 1e30), { registration: 1 }),
    );
    expect(await sendAll(push, msgs)).toBe(20);
    await until(() => (l.intake.rejected.BAD_FIELD ?? 0) >= 20, 3000, 'the reward rejections');
    push.close();
    expect(l.registry.get('a')!.stepsLocal).toBe(0);
    expect(l.assembler.pendingUnrolls()).toBe(0);
  });
});

describe('compressed uploads', () => {
  it('a deflate bomb is rejected and counted; a deflated unroll from the same actor then trains', async () => {
    fx.svc = await startLearner();
    const a = await register(fx.svc, 'a');
    fx.clients.push(a);
    const l = fx.svc.learner;
    const push = pushSocket(a.reply.uploadAddress, a.keys);
    const raw = forgedUnroll(fx.svc, 2, 0.5);
    // 16 MB of zeros behind a header that claims one step: a few KB on the wire.
    const bomb = Buffer.concat([Buffer.from(raw.subarray(0, 16)), deflateRawSync(Buffer.alloc(16 << 20))]);
    bomb.writeUInt16LE(1, 4);
    bomb.writeUInt16LE(1, 14);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await sendAll(push, [uploadMessage('a', 0, bomb, { registration: 1 })])).toBe(1);
    await until(() => (l.intake.rejected.BAD_LENGTH ?? 0) >= 1, 3000, 'the bomb rejection');
    expect(l.registry.get('a')!.stepsLocal).toBe(0);
    const m = l.model;
    const dims = { numEnvs: 2, obsSize: m.inputShape.reduce((x, y) => x * y, 1), numActions: m.numActions };
    const packed = encodeStepBlock(decodeStepBlock(raw, dims), 'deflate');
    expect(packed.readUInt16LE(14)).toBe(1);
    expect(await sendAll(push, [uploadMessage('a', 1, packed, { registration: 1 })])).toBe(1);
    await until(() => l.registry.get('a')!.stepsLocal > 0, 3000, 'the deflated unroll');
    push.close();
    expect(l.registry.get('a')!.stepsLocal).toBe(2 * (l.config.hyper.unrollLength + 1));
  });
});

describe('bounded memory per client on the upload channel', () => {
  it('partial uploads allocate only what arrived and stay within the per-actor budget', async () => {
    fx.svc = await startLearner({ distributed: { maxPendingUploadBytes: 8 * 1024 * 1024 } });
    const a = await register(fx.svc, 'a');
    fx.clients.push(a);
    const l = fx.svc.learner;
    // 100 uploads that each declare 200 MiB in 800 chunks and send only their first 256 KiB chunk.
    const total = 200 * 1024 * 1024;
    const chunk = new Uint8Array(Math.ceil(total / 800));
    const msgs = Array.from({ length: 100 }, (_, i) =>
      encode({ type: 'UploadChunk', actorId: 'a', uploadId: i, chunkIndex: 0, chunkCount: 800, totalBytes: total, offset: 0, data: chunk }),
    );
    const push = pushSocket(a.reply.uploadAddress, a.keys);
    expect(await sendAll(push, msgs)).toBe(100);
    // Every one of the 100 is either held or refused once the intake has read them all (on a loaded
    // machine that takes a while: wait for the count, not for a fixed time).
    const seen = () => (l.intake.rejected.chunk_OVER_BUDGET ?? 0) + l.uploadPending('a').partials;
    await until(() => (l.intake.rejected.chunk_OVER_BUDGET ?? 0) > 0 && seen() >= 100, 20_000, 'all 100 uploads held or refused');
    push.close();
    const held = l.uploadPending('a');
    expect(held.bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(held.partials).toBeLessThanOrEqual(16);
    expect((l.intake.rejected.chunk_OVER_BUDGET ?? 0) + held.partials).toBe(100);
  });

  it('a frame larger than maxMessageSize is refused before it is buffered', async () => {
    fx.svc = await startLearner();
    const a = await register(fx.svc, 'a');
    fx.clients.push(a);
    const l = fx.svc.learner;
    const push = pushSocket(a.reply.uploadAddress, a.keys);
    // 3 MB, over the 2 MiB limit: the connection drops, nothing reaches the puller.
    await sendAll(push, [Buffer.alloc(3_000_000)]);
    await sleep(300);
    push.close();
    expect(Object.keys(l.intake.rejected)).toEqual([]);
    expect(l.uploadPending('a')).toEqual({ partials: 0, bytes: 0 });
  });

  it('partial uploads expire on a timer, even when no other chunk ever arrives', async () => {
    const puller = await UploadPuller.bind({ address: 'tcp://127.0.0.1:*', incompleteTimeoutMs: 100 });
    try {
      puller.accept(
        encode({ type: 'UploadChunk', actorId: 'x', uploadId: 1, chunkIndex: 0, chunkCount: 4, totalBytes: 4000, offset: 0, data: new Uint8Array(1000) }),
      );
      expect(puller.partialCount).toBe(1);
      expect(puller.counters.pendingBytes).toBeLessThan(2000); // the chunk, not the declared 4000
      await until(() => puller.partialCount === 0, 2000, 'expiry');
      expect(puller.counters.expired).toBe(1);
      expect(puller.counters.pendingBytes).toBe(0);
    } finally {
      await puller.close();
    }
  });

  it('far-future step ids are refused and pending unrolls per env are capped', async () => {
    fx.svc = await startLearner({ distributed: { maxPendingUnrollsPerEnv: 4 } });
    const a = await register(fx.svc, 'a');
    fx.clients.push(a);
    const l = fx.svc.learner;
    const idx = l.registry.get('a')!.index;
    const T = l.config.hyper.unrollLength;
    const push = pushSocket(a.reply.uploadAddress, a.keys);
    // Observation-only uploads for step ids around 1e9: refused whole.
    const far = Array.from({ length: 20 }, (_, i) => uploadMessage('a', i, obsBlock(fx.svc!, 2, 1e9 + i * T, T), { registration: 1 }));
    expect(await sendAll(push, far)).toBe(20);
    await until(() => (l.intake.rejected.BAD_SEQUENCE ?? 0) >= 20, 3000, 'far-future rejections');
    expect(l.assembler.pendingUnrolls(idx)).toBe(0);
    // 200 unrolls of observations that never complete: at most 4 per env are held.
    const walk = Array.from({ length: 200 }, (_, k) => uploadMessage('a', 100 + k, obsBlock(fx.svc!, 2, k * T + 1, 1), { registration: 1 }));
    expect(await sendAll(push, walk)).toBe(200);
    await until(() => l.intake.rejected.BAD_SEQUENCE === 20 && l.registry.get('a')!.framesUploaded === 400, 5000, 'the walk');
    push.close();
    expect(l.assembler.pendingUnrolls(idx)).toBeLessThanOrEqual(2 * 4);
    const acc = l.stepAccounting();
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
  });
});
