/**
 * Integration tests on loopback with real gRPC streams (and one real child-process actor).
 * The "learner" here is a deterministic tail: action = first value of each env's payload mod A,
 * value = mean of the env's payload, so every reply can be checked against its request.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamicBatcher } from '../src/transport/batcher.js';
import {
  type ActorContext,
  connectInference,
  type InferenceClient,
  type InferenceHandler,
  type InferenceServer,
  openRawInferenceStream,
  startInferenceServer,
  type StepResult,
  type ServerTls,
  TransportError,
} from '../src/transport/index.js';
import { makeLink } from '../src/transport/pacer.js';
import { encode, PROTOCOL_VERSION, type StepRequest } from '../src/transport/wire/index.js';

const TOKEN = 'test-token';
const NUM_ACTIONS = 6;
const OBS = [10, 10];
const PER_ENV = 100;

function tail(req: StepRequest): StepResult {
  const per = req.payload.length / req.numEnvs;
  const actions = new Int32Array(req.numEnvs);
  const values = new Float32Array(req.numEnvs);
  const logits = new Float32Array(req.numEnvs * NUM_ACTIONS);
  for (let e = 0; e < req.numEnvs; e++) {
    let sum = 0;
    for (let i = 0; i < per; i++) sum += req.payload[e * per + i];
    values[e] = sum / per;
    actions[e] = Math.abs(Math.trunc(req.payload[e * per])) % NUM_ACTIONS;
    logits[e * NUM_ACTIONS + actions[e]] = 1;
  }
  return { numEnvs: req.numEnvs, numActions: NUM_ACTIONS, actions, logits, values };
}

/** A handler that batches across actors like the learner will (maxBatch in env-steps). */
function batchingHandler(opts: { maxBatch?: number; maxWaitMs?: number; splitPoint?: number } = {}) {
  const batcher = new DynamicBatcher<StepRequest, StepResult>({
    maxBatch: opts.maxBatch ?? 32,
    maxWaitMs: opts.maxWaitMs ?? 2,
    run: async (batch) => batch.items.map(tail),
  });
  const handler: InferenceHandler = {
    register: () => ({ splitPoint: opts.splitPoint ?? 0, numLayers: 4, paramVersion: 0, paramsAddress: '', uploadAddress: '' }),
    step: (req) => batcher.submit(req.splitPoint, req.numEnvs, req),
  };
  return { handler, batcher };
}

function obsStep(stepId: number, numEnvs: number, seed: number): Omit<StepRequest, 'type'> {
  const payload = new Uint8Array(numEnvs * PER_ENV);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + stepId * 13 + seed) & 255;
  return {
    stepId,
    splitPoint: 0,
    headVersion: 0,
    dtype: 'uint8',
    shape: OBS,
    numEnvs,
    payload,
    rewards: new Float32Array(numEnvs),
    dones: new Uint8Array(numEnvs),
  };
}

/** Resolve with the final status of a raw stream. */
function statusOf(stream: grpc.ClientDuplexStream<Buffer, Buffer>): Promise<grpc.StatusObject> {
  return new Promise((resolve) => stream.on('status', resolve));
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function server(handler: InferenceHandler, extra: Partial<Parameters<typeof startInferenceServer>[0]> = {}): Promise<InferenceServer> {
  const s = await startInferenceServer({ address: '127.0.0.1:0', token: TOKEN, handler, ...extra });
  cleanups.push(() => s.close());
  return s;
}

function client(address: string, actorId: string, extra: Partial<Parameters<typeof connectInference>[0]> = {}): InferenceClient {
  const c = connectInference({
    address,
    token: TOKEN,
    hello: { actorId, numEnvs: 4, obsShape: OBS, numActions: NUM_ACTIONS, splitPoint: 0 },
    backoff: { initialMs: 30, maxMs: 300 },
    requestTimeoutMs: 10_000,
    seed: 1,
    ...extra,
  });
  cleanups.push(() => c.close());
  return c;
}

describe('inference over gRPC (loopback)', () => {
  it('serves many concurrent streams, batching across actors, replies matched by stepId', async () => {
    const { handler, batcher } = batchingHandler({ maxBatch: 32, maxWaitMs: 2 });
    const s = await server(handler);
    const actors = Array.from({ length: 16 }, (_, a) => client(s.address, `actor-${a}`));
    await Promise.all(actors.map((c) => c.ready()));
    expect(
      s
        .actors()
        .map((c) => c.actorId)
        .sort(),
    ).toEqual(actors.map((_, a) => `actor-${a}`).sort());
    // Each actor pipelines 4 steps at a time, 20 steps in all.
    let checked = 0;
    await Promise.all(
      actors.map(async (c, a) => {
        for (let round = 0; round < 5; round++) {
          const reqs = [0, 1, 2, 3].map((k) => obsStep(round * 4 + k, 4, a));
          const replies = await Promise.all(reqs.map((r) => c.step(r)));
          replies.forEach((rep, k) => {
            const want = tail({ ...reqs[k], type: 'StepRequest' });
            expect(rep.stepId).toBe(reqs[k].stepId);
            expect(Array.from(rep.actions)).toEqual(Array.from(want.actions));
            expect(Array.from(rep.values)).toEqual(Array.from(want.values));
            checked++;
          });
        }
      }),
    );
    expect(checked).toBe(16 * 20);
    expect(s.stats.requests).toBe(320);
    expect(s.stats.replies).toBe(320);
    // Batching happened: fewer batches than requests, none larger than maxBatch env-steps.
    expect(batcher.stats.batches).toBeLessThan(320);
    expect(batcher.stats.envSteps).toBe(320 * 4);
    // Byte counters on both sides agree.
    const sentByActors = actors.reduce((a, c) => a + c.link.stats.snapshot().inference.sentBytes, 0);
    expect(s.stats.bytesReceived).toBe(sentByActors);
    const ctx = s.actors().find((x) => x.actorId === 'actor-3')!;
    expect(ctx.stats.snapshot().inference.receivedBytes).toBe(actors[3].link.stats.snapshot().inference.sentBytes);
  });

  it('a bad token gets UNAUTHENTICATED and is counted; the client does not retry', async () => {
    const { handler } = batchingHandler();
    const s = await server(handler);
    const bad = client(s.address, 'intruder', { token: 'wrong' });
    const err = (await bad.ready().catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/bad token in x-coknight-token metadata/);
    expect(bad.state).toBe('failed');
    expect(bad.connections).toBe(1);
    expect(s.stats.rejectedByStatus.UNAUTHENTICATED).toBe(1);
  });

  it('corrupted, non-finite and mis-shaped messages end only their own stream with INVALID_ARGUMENT', async () => {
    const { handler } = batchingHandler();
    const s = await server(handler, { activationShape: (sp) => (sp === 2 ? [8] : undefined) });
    const good = client(s.address, 'good');
    await good.ready();

    const hello = (actorId: string) =>
      encode({ type: 'Hello', protocolVersion: PROTOCOL_VERSION, actorId, token: TOKEN, numEnvs: 4, obsShape: OBS, numActions: NUM_ACTIONS, splitPoint: 0 });
    const waitReply = (st: grpc.ClientDuplexStream<Buffer, Buffer>) => new Promise((r) => st.once('data', r));

    // 1. Garbage bytes after a valid Hello.
    const raw1 = openRawInferenceStream({ address: s.address, token: TOKEN });
    cleanups.push(raw1.close);
    const st1 = statusOf(raw1.stream);
    raw1.stream.write(hello('corrupt'));
    await waitReply(raw1.stream);
    const msg = encode({ ...obsStep(0, 4, 0), type: 'StepRequest' });
    msg.writeUInt32LE(msg.readUInt32LE(8) + 3, 8); // lie about the body length
    raw1.stream.write(msg);
    const s1 = await st1;
    expect(s1.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(s1.details).toMatch(/header.bodyLength is \d+ but the message carries/);

    // 2. NaN in an activation (forged past the encoder).
    const raw2 = openRawInferenceStream({ address: s.address, token: TOKEN });
    cleanups.push(raw2.close);
    const st2 = statusOf(raw2.stream);
    raw2.stream.write(hello('nan'));
    await waitReply(raw2.stream);
    const act = encode({ ...obsStep(0, 4, 0), type: 'StepRequest', splitPoint: 2, dtype: 'float32', shape: [8], payload: new Float32Array(32) });
    act.writeFloatLE(NaN, act.length - 4 - 32 * 4 + 4 * 5); // payload[5]
    raw2.stream.write(act);
    const s2 = await st2;
    expect(s2.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(s2.details).toMatch(/StepRequest.payload\[5\] is NaN; every value must be finite/);

    // 3. A well-formed request whose shape disagrees with the registration.
    const raw3 = openRawInferenceStream({ address: s.address, token: TOKEN });
    cleanups.push(raw3.close);
    const st3 = statusOf(raw3.stream);
    raw3.stream.write(hello('shape'));
    await waitReply(raw3.stream);
    raw3.stream.write(encode({ ...obsStep(0, 4, 0), type: 'StepRequest', shape: [20, 5] }));
    const s3 = await st3;
    expect(s3.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(s3.details).toMatch(/StepRequest.shape \[20, 5\] does not match \[10, 10\] expected at split point 0 for actor "shape"/);

    // The learner kept serving the good client throughout.
    const rep = await good.step(obsStep(1, 4, 9));
    expect(rep.stepId).toBe(1);
    expect(s.stats.rejectedByStatus.INVALID_ARGUMENT).toBe(3);
    expect(s.stats.rejectedByCode).toMatchObject({ BAD_LENGTH: 1, NON_FINITE: 1, BAD_SHAPE: 1 });
    expect(good.state).toBe('ready');
  });

  it('a stale protocol version gets FAILED_PRECONDITION; an unknown actor gets PERMISSION_DENIED', async () => {
    const { handler } = batchingHandler();
    const s = await server(handler, { knownActors: ['a1', 'old'] });
    // Version 1 is the build before codecs were named per actor (RegisterReply.codec, …).
    const old = client(s.address, 'old', { protocolVersion: 1 });
    const e1 = (await old.ready().catch((e: unknown) => e)) as TransportError;
    expect(e1.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(e1.message).toMatch(new RegExp(`protocolVersion is 1, this side speaks ${PROTOCOL_VERSION}: upgrade the older side`));
    const stranger = client(s.address, 'stranger');
    const e2 = (await stranger.ready().catch((e: unknown) => e)) as TransportError;
    expect(e2.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(e2.message).toMatch(/"stranger" is not one of this learner's actors/);
    expect((await client(s.address, 'a1').ready()).accepted).toBe(true);
    expect(s.stats.rejectedByStatus).toMatchObject({ FAILED_PRECONDITION: 1, PERMISSION_DENIED: 1 });
  });

  it('reconnects with backoff after the learner restarts on the same port', async () => {
    const { handler } = batchingHandler();
    const s1 = await startInferenceServer({ address: '127.0.0.1:0', token: TOKEN, handler });
    const states: string[] = [];
    const c = client(s1.address, 'phoenix', { onStateChange: (st) => states.push(st) });
    await c.ready();
    expect((await c.step(obsStep(0, 4, 1))).stepId).toBe(0);

    await s1.close();
    // A step issued while the learner is down waits for the reconnect (or fails as retryable).
    const during = c.step(obsStep(1, 4, 1)).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 400)); // several backoff rounds against a closed port
    const s2 = await server(handler, { address: `127.0.0.1:${s1.port}` });
    expect(s2.port).toBe(s1.port);
    await c.ready();
    const r = await during;
    if (r instanceof TransportError) expect(r.retryable).toBe(true);
    else expect((r as { stepId: number }).stepId).toBe(1);
    expect((await c.step(obsStep(2, 4, 1))).stepId).toBe(2);
    expect(c.connections).toBeGreaterThanOrEqual(3); // first, at least one failed retry, the one that worked
    expect(states).toContain('backoff');
    expect(states.at(-1)).toBe('ready');
  });

  it('pushes split-point changes to the actor', async () => {
    const { handler } = batchingHandler();
    const s = await server(handler);
    const seen: number[] = [];
    const c = client(s.address, 'mover', { onSplitPointChange: (m) => seen.push(m.splitPoint) });
    await c.ready();
    const ctx: ActorContext = s.actors()[0];
    ctx.push({ type: 'SplitPointChange', splitPoint: 3, fromStepId: 0, reason: 'test' });
    await c.step(obsStep(0, 4, 0)); // a round trip after the push: it has arrived by now
    expect(seen).toEqual([3]);
    expect(ctx.splitPoint).toBe(3);
  });

  it('caps the actor link: paced bytes/s stays at the cap', async () => {
    const { handler } = batchingHandler({ maxWaitMs: 0 });
    const s = await server(handler);
    const cap = 500_000; // 500 KB/s each way
    const link = makeLink(cap);
    const c = client(s.address, 'slow', { link, hello: { actorId: 'slow', numEnvs: 64, obsShape: OBS, numActions: NUM_ACTIONS, splitPoint: 0 } });
    await c.ready();
    const before = link.stats.snapshot().inference.sentBytes;
    const t0 = performance.now();
    // 40 pipelined requests of 64 envs × 100 B ≈ 6.5 KB each keep the uplink busy.
    await Promise.all(Array.from({ length: 40 }, (_, k) => c.step(obsStep(k, 64, 3))));
    const ms = performance.now() - t0;
    const bytes = link.stats.snapshot().inference.sentBytes - before;
    expect(bytes).toBeGreaterThan(250_000);
    const ideal = (bytes / cap) * 1000;
    // Never faster than the cap (bar one burst); generous upper bound on a loaded machine.
    expect(ms).toBeGreaterThanOrEqual(ideal - link.up.burstMs - 5);
    expect(ms).toBeLessThan(ideal * 2 + 1000);
    console.log(`paced gRPC uplink: ${bytes} B in ${ms.toFixed(0)} ms = ${(((bytes / ms) * 1000) / 1e3).toFixed(1)} KB/s (cap ${cap / 1e3} KB/s)`);
    expect(link.up.stats().bytes).toBe(link.stats.snapshot().inference.sentBytes);
  });

  it('runs over TLS with a self-signed certificate', async (t) => {
    let tls: ServerTls;
    const dir = mkdtempSync(join(tmpdir(), 'coknight-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      tls = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
    } catch (e) {
      t.skip(`TLS test skipped: could not generate a self-signed certificate with openssl (${String(e)})`);
      return;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { handler } = batchingHandler();
    const s = await server(handler, { tls });
    const c = client(s.address, 'secure', { tls: { ca: tls.cert, serverName: 'localhost' } });
    await c.ready();
    expect((await c.step(obsStep(0, 4, 2))).stepId).toBe(0);
    // A plaintext client cannot talk to the TLS server.
    const plain = client(s.address, 'plain', { backoff: { initialMs: 10, maxMs: 20, maxAttempts: 2 } });
    await expect(plain.ready()).rejects.toThrow(/gave up after 2 reconnect attempts/);
  });

  it('serves a real child-process actor', async () => {
    const { handler } = batchingHandler();
    const s = await server(handler);
    const runActor = (id: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/transport-actor.ts', s.address, TOKEN, id, '25'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => resolve({ code, out, err }));
      });
    const [a, b] = await Promise.all([runActor('child-a'), runActor('child-b')]);
    for (const r of [a, b]) {
      expect(r.code, r.err).toBe(0);
      const summary = JSON.parse(r.out.trim()) as { ok: boolean; steps: number; mismatches: number; sent: number; pid: number };
      expect(summary).toMatchObject({ ok: true, steps: 25, mismatches: 0 });
      expect(summary.pid).not.toBe(process.pid);
      expect(summary.sent).toBeGreaterThan(25 * 400);
    }
    expect(s.stats.requests).toBe(50);
  });
});
