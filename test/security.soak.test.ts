/**
 * The long attacks (`npm run test:security` only; skipped in the default suite): floods big enough
 * to have exhausted memory before, with the learner's RSS measured before, during and after the
 * offender leaves. The learner runs in this process, so RSS is the learner's (plus the attacker's
 * small buffers). Bounds are loose on purpose: they separate "bounded" from the gigabytes measured
 * before the fix, not one allocator from another.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { encode, openRawInferenceStream, PROTOCOL_VERSION } from '../src/transport/index.js';
import {
  forgedUnroll,
  obsBlock,
  pushSocket,
  register,
  sendAll,
  sleep,
  startLearner,
  statusOf,
  TOKEN,
  until,
  uploadMessage,
  learnerFixture,
} from './helpers/security.js';

const LONG = process.env.COKNIGHT_SECURITY_LONG === '1';
const MB = 1024 * 1024;
const rss = (): number => process.memoryUsage().rss / MB;
/** Live memory after a full GC: JS heap plus ArrayBuffers (RSS rarely shrinks back; this does when nothing is held). */
function live(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / MB;
}

const fx = learnerFixture();

describe.skipIf(!LONG)('long attacks: memory stays bounded and returns after the offender leaves', () => {
  it('2,000 step requests of 256 envs, each opening new unrolls: pending capped, live memory back at baseline after the offender leaves', async () => {
    fx.svc = await startLearner({ distributed: { maxWaitMs: 0 } });
    const l = fx.svc.learner;
    const m = l.model;
    const S = m.inputShape.reduce((a, b) => a * b, 1);
    const T = l.config.hyper.unrollLength;
    const base = rss();
    const liveBase = live();
    const raw = openRawInferenceStream({ address: fx.svc.address, token: TOKEN });
    const st = statusOf(raw.stream);
    raw.stream.write(
      encode({
        type: 'Hello',
        protocolVersion: PROTOCOL_VERSION,
        actorId: 'flood',
        token: TOKEN,
        numEnvs: 256,
        obsShape: [...m.inputShape],
        numActions: m.numActions,
        splitPoint: 0,
      }),
    );
    await new Promise((r) => raw.stream.once('data', r));
    let replies = 0;
    raw.stream.on('data', () => replies++);
    const payload = new Uint8Array(256 * S);
    const N = 2000;
    let sentBytes = 0;
    for (let k = 0; k < N; k++) {
      const msg = encode({
        type: 'StepRequest',
        stepId: k * T + 1,
        splitPoint: 0,
        headVersion: 0,
        dtype: 'uint8',
        shape: [...m.inputShape],
        numEnvs: 256,
        payload,
        rewards: new Float32Array(256),
        dones: new Uint8Array(256),
      });
      sentBytes += msg.length;
      raw.stream.write(msg);
      if (k % 50 === 49) await until(() => replies >= k - 10, 30_000, 'replies');
    }
    await until(() => replies >= N, 60_000, 'all replies');
    const during = rss();
    const pending = l.assembler.pendingUnrolls();
    raw.close();
    await st;
    await until(() => l.registry.connectedCount() === 0, 5000, 'the offender to leave');
    await sleep(500);
    const after = rss();
    const liveAfter = live();
    console.log(
      `pending-unroll flood: ${(sentBytes / MB).toFixed(0)} MB of requests, pending unrolls ${pending} (cap 256 envs × ${l.config.distributed.maxPendingUnrollsPerEnv}), ` +
        `RSS ${base.toFixed(0)} → ${during.toFixed(0)} → ${after.toFixed(0)} MB after it left, ` +
        `live heap+buffers ${liveBase.toFixed(0)} → ${liveAfter.toFixed(0)} MB`,
    );
    expect(liveAfter - liveBase).toBeLessThan(50);
    expect(pending).toBeLessThanOrEqual(256 * l.config.distributed.maxPendingUnrollsPerEnv);
    expect(l.assembler.pendingUnrolls()).toBe(0);
    expect(during - base).toBeLessThan(400);
    expect(after - base).toBeLessThan(400);
    const acc = l.stepAccounting();
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
  });

  it('10,000 forged uploads without keys and 500 keyed partial uploads declaring 256 MiB: nothing accepted, RSS bounded', async () => {
    fx.svc = await startLearner();
    const a = await register(fx.svc, 'a');
    fx.clients.push(a);
    const l = fx.svc.learner;
    const base = rss();
    const block = forgedUnroll(fx.svc, 2, 1000);
    // sendTimeout 0: once ZeroMQ's queue for the never-authenticated peer is full, sends fail at once.
    const plain = pushSocket(a.reply.uploadAddress, undefined, 0);
    for (let i = 0; i < 10; i++)
      await sendAll(
        plain,
        Array.from({ length: 1000 }, (_, j) => uploadMessage('a', i * 1000 + j, block, { registration: 1 })),
      );
    plain.close();
    const total = 256 * MB;
    const chunk = new Uint8Array(Math.ceil(total / 1024));
    const keyed = pushSocket(a.reply.uploadAddress, a.keys);
    let sent = 0;
    for (let i = 0; i < 500; i++) {
      sent += await sendAll(keyed, [
        encode({ type: 'UploadChunk', actorId: 'a', uploadId: i, chunkIndex: 0, chunkCount: 1024, totalBytes: total, offset: 0, data: chunk }),
      ]);
    }
    await until(() => (l.intake.rejected.chunk_OVER_BUDGET ?? 0) + l.uploadPending('a').partials >= sent, 30_000, 'the keyed partials');
    // Observation-only uploads for far-future step ids (the 239 → 1,102 MB attack).
    const far = Array.from({ length: 2000 }, (_, i) => uploadMessage('a', 10_000 + i, obsBlock(fx.svc!, 2, 1e9 + i * 5, 5), { registration: 1 }));
    await sendAll(keyed, far);
    await until(() => (l.intake.rejected.BAD_SEQUENCE ?? 0) >= 2000, 30_000, 'far-future rejections');
    keyed.close();
    const during = rss();
    const held = l.uploadPending('a');
    console.log(
      `upload floods: ${l.zmqAuthDenied} keyed CURVE handshakes refused by ZAP (plain ones fail before ZAP), ${held.partials} partials holding ${(held.bytes / MB).toFixed(1)} MB, ` +
        `${l.intake.rejected.chunk_OVER_BUDGET ?? 0} over budget, RSS ${base.toFixed(0)} → ${during.toFixed(0)} MB`,
    );
    expect(l.registry.get('a')!.stepsLocal).toBe(0);
    expect(l.assembler.pendingUnrolls()).toBe(0);
    expect(held.bytes).toBeLessThanOrEqual(64 * MB);
    expect(during - base).toBeLessThan(300);
  });

  it('2,000 bad-token streams and 2,000 idle sockets: all refused or closed, training state untouched', async () => {
    fx.svc = await startLearner({ distributed: { connectionIdleMs: 1000, maxConnections: 500 } });
    const { connect } = await import('node:net');
    let closed = 0;
    const socks = Array.from({ length: 2000 }, () => {
      const s = connect(Number(fx.svc!.address.split(':').pop()), '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => closed++);
      s.resume();
      return s;
    });
    let unauth = 0;
    let capped = 0;
    for (let i = 0; i < 2000; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => {
        const bad = openRawInferenceStream({ address: fx.svc!.address, token: `bad-${i + j}` });
        const p = statusOf(bad.stream).then((s) => {
          if (s.code === grpc.status.UNAUTHENTICATED) unauth++;
          else if (s.code === grpc.status.UNAVAILABLE) capped++; // refused by the connection cap
          bad.close();
        });
        bad.stream.write(Buffer.from('x'));
        return p;
      });
      await Promise.all(batch);
    }
    // Every connection the learner accepted is closed again (sockets the kernel never handed over,
    // beyond the listen backlog, stay half-open on the client side only and hold no learner fd).
    await until(() => fx.svc!.learner.serverStats!.connections === 0, 30_000, 'idle connections closed');
    socks.forEach((s) => s.destroy());
    console.log(
      `pre-auth: ${unauth} bad-token streams refused UNAUTHENTICATED and ${capped} UNAVAILABLE (cap), ${closed} of 2000 idle sockets closed by the learner, ` +
        `${fx.svc.learner.serverStats!.rejectedByStatus.CONNECTION_LIMIT ?? 0} over the cap, learner connections now 0`,
    );
    expect(unauth + capped).toBe(2000);
    expect(unauth).toBeGreaterThan(0);
    expect(fx.svc.learner.registry.size).toBe(0);
  });
});
