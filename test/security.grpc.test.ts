/**
 * Attacks by token holders and by anyone who can reach the gRPC port, on loopback: one client
 * hurting the others (a poisoned batch, a stolen actor id), unbounded registrations, replayed step
 * ids, idle connections, log floods. Bounded in count and time; assertions on the learner's state.
 */
import { connect, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { StepAccounting } from '../src/learner/index.js';
import type { LearnerService } from '../src/run/learner-service.js';
import { encode, openRawInferenceStream, PROTOCOL_VERSION, type StepRequest, type TransportError } from '../src/transport/index.js';
import { forgedUnroll, pushSocket, register, sendAll, sleep, startLearner, statusOf, TOKEN, until, uploadMessage, learnerFixture } from './helpers/security.js';

const fx = learnerFixture();

function obsRequest(s: LearnerService, stepId: number, numEnvs = 2): Omit<StepRequest, 'type'> {
  const m = s.learner.model;
  const S = m.inputShape.reduce((a, b) => a * b, 1);
  return {
    stepId,
    splitPoint: 0,
    headVersion: 0,
    dtype: 'uint8',
    shape: [...m.inputShape],
    numEnvs,
    payload: new Uint8Array(numEnvs * S),
    rewards: new Float32Array(numEnvs),
    dones: new Uint8Array(numEnvs),
  };
}

function hello(s: LearnerService, actorId: string, numEnvs: number): Buffer {
  const m = s.learner.model;
  return encode({
    type: 'Hello',
    protocolVersion: PROTOCOL_VERSION,
    actorId,
    token: TOKEN,
    numEnvs,
    obsShape: [...m.inputShape],
    numActions: m.numActions,
    splitPoint: 0,
  });
}

function identity(s: StepAccounting): void {
  expect(s.served).toBe(s.assembled + s.pending + s.dropped);
}

describe('one client cannot hurt the others', () => {
  it('a batch holding one request with huge activations rejects only that request', async () => {
    // Intake's range check would refuse 3.4e38 before batching; lift it to reach the batch itself.
    fx.svc = await startLearner({ mode: 'coknight', distributed: { splitPoints: [1, 1], maxWaitMs: 200, maxAbsActivation: 1e39 } });
    const good = await register(fx.svc, 'good', 2, 1);
    const evil = await register(fx.svc, 'evil', 2, 1);
    fx.clients.push(good, evil);
    expect(good.reply.splitPoint).toBe(1);
    const shape = fx.svc.learner.model.layers[0].outShape;
    const size = shape.reduce((a, b) => a * b, 1);
    const req = (v: number): Omit<StepRequest, 'type'> => ({
      stepId: 0,
      splitPoint: 1,
      headVersion: 0,
      dtype: 'float32',
      shape: [...shape],
      numEnvs: 2,
      payload: new Float32Array(2 * size).fill(v),
      rewards: new Float32Array(2),
      dones: new Uint8Array(2),
    });
    const [g, e] = await Promise.allSettled([good.client.step(req(0.5)), evil.client.step(req(3.4e38))]);
    expect(g.status).toBe('fulfilled');
    expect(e.status).toBe('rejected');
    const err = (e as PromiseRejectedResult).reason as TransportError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.message).toMatch(/non-finite/);
    expect(fx.svc.learner.registry.get('good')!.stepsServed).toBe(2);
    expect(fx.svc.learner.registry.get('good')!.ctx).not.toBeNull();
  });

  it('with default limits, activations out of range are refused at intake', async () => {
    fx.svc = await startLearner({ mode: 'coknight', distributed: { splitPoints: [1] } });
    const evil = await register(fx.svc, 'evil', 2, 1);
    fx.clients.push(evil);
    const shape = fx.svc.learner.model.layers[0].outShape;
    const size = shape.reduce((a, b) => a * b, 1);
    const p = evil.client.step({
      stepId: 0,
      splitPoint: 1,
      headVersion: 0,
      dtype: 'float32',
      shape: [...shape],
      numEnvs: 2,
      payload: new Float32Array(2 * size).fill(1e30),
      rewards: new Float32Array(2),
      dones: new Uint8Array(2),
    });
    await expect(p).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it("a second Hello for a live actor's id is refused; the real actor keeps its stream", async () => {
    fx.svc = await startLearner();
    const victim = await register(fx.svc, 'a0');
    fx.clients.push(victim);
    for (let i = 0; i < 5; i++) {
      const raw = openRawInferenceStream({ address: fx.svc.address, token: TOKEN });
      const st = statusOf(raw.stream);
      raw.stream.write(hello(fx.svc, 'a0', 2));
      expect((await st).code).toBe(grpc.status.ALREADY_EXISTS);
      raw.close();
    }
    const reply = await victim.client.step(obsRequest(fx.svc, 0));
    expect(reply.actions.length).toBe(2);
    expect(fx.svc.learner.registry.get('a0')!.registrations).toBe(1);
    expect(fx.svc.learner.registry.get('a0')!.stepsServed).toBe(2);
  });

  it('a Hello with numEnvs 65,536 is refused (RESOURCE_EXHAUSTED) and leaves nothing behind', async () => {
    fx.svc = await startLearner();
    const raw = openRawInferenceStream({ address: fx.svc.address, token: TOKEN });
    const st = statusOf(raw.stream);
    raw.stream.write(hello(fx.svc, 'huge', 65_536));
    expect((await st).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    raw.close();
    expect(fx.svc.learner.registry.get('huge')).toBeUndefined();
    expect(fx.svc.learner.assembler.pendingUnrolls()).toBe(0);
  });
});

describe('step accounting holds after replays', () => {
  it('a replayed step id ends the stream and is not counted as served', async () => {
    fx.svc = await startLearner();
    const raw = openRawInferenceStream({ address: fx.svc.address, token: TOKEN });
    const st = statusOf(raw.stream);
    raw.stream.write(hello(fx.svc, 'r', 2));
    await new Promise((r) => raw.stream.once('data', r));
    const step = (id: number): Buffer => encode({ type: 'StepRequest', ...obsRequest(fx.svc!, id) });
    raw.stream.write(step(0));
    raw.stream.write(step(1));
    raw.stream.write(step(1));
    expect((await st).code).toBe(grpc.status.FAILED_PRECONDITION);
    raw.close();
    await until(() => fx.svc!.learner.registry.connectedCount() === 0, 3000, 'the disconnect');
    const acc = fx.svc.learner.stepAccounting();
    identity(acc);
    expect(acc.duplicates).toBe(0);
    expect(acc.served).toBeLessThanOrEqual(4);
  });

  it('a replayed upload of trained steps re-creates no pending unroll and counts nothing twice', async () => {
    fx.svc = await startLearner();
    const a = await register(fx.svc, 'u');
    fx.clients.push(a);
    const l = fx.svc.learner;
    const T = l.config.hyper.unrollLength;
    const push = pushSocket(a.reply.uploadAddress, a.keys);
    const block = forgedUnroll(fx.svc, 2, 1, 0, T + 1);
    expect(await sendAll(push, [uploadMessage('u', 0, block, { registration: 1 })])).toBe(1);
    await until(() => l.assembler.stepsAssembled === 2 * T, 3000, 'the first unrolls');
    const before = { local: l.registry.get('u')!.stepsLocal, pending: l.assembler.pendingUnrolls() };
    expect(
      await sendAll(
        push,
        [1, 2, 3].map((i) => uploadMessage('u', i, block, { registration: 1 })),
      ),
    ).toBe(3);
    await until(() => l.assembler.stale > 0, 3000, 'the replays');
    await sleep(100);
    push.close();
    expect(l.registry.get('u')!.stepsLocal).toBe(before.local);
    expect(l.assembler.pendingUnrolls()).toBe(before.pending);
    expect(l.assembler.stepsAssembled).toBe(2 * T);
    identity(l.stepAccounting());
  });
});

describe('pre-authentication limits', () => {
  it('idle connections are closed and the connection cap holds; an authenticated actor keeps working', async () => {
    fx.svc = await startLearner({ distributed: { connectionIdleMs: 500, maxConnections: 30 } });
    const a = await register(fx.svc, 'a');
    fx.clients.push(a);
    const socks: Socket[] = [];
    let closed = 0;
    for (let i = 0; i < 60; i++) {
      const s = connect(Number(fx.svc.address.split(':').pop()), '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => closed++);
      s.resume();
      socks.push(s);
    }
    fx.cleanups.push(() => socks.forEach((s) => s.destroy()));
    await sleep(200);
    expect(fx.svc.learner.serverStats!.connections).toBeLessThanOrEqual(30);
    await until(() => closed === 60, 5000, 'every idle connection closed');
    expect(fx.svc.learner.serverStats!.rejectedByStatus.CONNECTION_LIMIT).toBeGreaterThan(0);
    const reply = await a.client.step(obsRequest(fx.svc, 0));
    expect(reply.actions.length).toBe(2);
  });

  it('rejected gRPC streams are on /metrics', async () => {
    fx.svc = await startLearner();
    for (let i = 0; i < 20; i++) {
      const bad = openRawInferenceStream({ address: fx.svc.address, token: `wrong-${i}` });
      const st = statusOf(bad.stream);
      bad.stream.write(Buffer.from('x'));
      expect((await st).code).toBe(grpc.status.UNAUTHENTICATED);
      bad.close();
    }
    await sleep(700); // the learner copies the transport's counters into its metrics every 0.5 s
    const text = await (await fetch(`http://${fx.svc.metricsAddress}/metrics`)).text();
    expect(text).toMatch(/coknight_grpc_rejected\{reason="UNAUTHENTICATED"\} 20/);
  });

  it('a flood of rejected uploads is counted in full but logged a few times only', async () => {
    const logs: string[] = [];
    fx.svc = await startLearner({}, logs);
    const a = await register(fx.svc, 'a');
    fx.clients.push(a);
    const push = pushSocket(a.reply.uploadAddress, a.keys);
    const junk = new Uint8Array(64).fill(7);
    expect(
      await sendAll(
        push,
        Array.from({ length: 200 }, (_, i) => uploadMessage('a', i, junk, { registration: 1 })),
      ),
    ).toBe(200);
    const l = fx.svc.learner;
    await until(() => Object.values(l.intake.rejected).reduce((x, y) => x + y, 0) >= 200, 5000, 'the rejections');
    push.close();
    expect(logs.filter((m) => m.includes('rejected an upload')).length).toBeLessThanOrEqual(6);
  });

  it('departed actors beyond maxDepartedActors are forgotten with their metric series; totals are kept', async () => {
    fx.svc = await startLearner({ distributed: { maxDepartedActors: 2 } });
    for (let i = 0; i < 8; i++) {
      const c = await register(fx.svc, `x${i}`);
      await c.client.step(obsRequest(fx.svc, 0));
      c.client.close();
      await until(() => fx.svc!.learner.registry.connectedCount() === 0, 3000, `x${i} to leave`);
    }
    const l = fx.svc.learner;
    expect(l.registry.size).toBe(2);
    expect(l.registry.get('x0')).toBeUndefined();
    const acc = l.stepAccounting();
    expect(acc.served).toBe(16);
    identity(acc);
    await sleep(600);
    const text = await (await fetch(`http://${fx.svc.metricsAddress}/metrics`)).text();
    expect(text).not.toContain('actor="x0"');
  });
});
