/**
 * Shared pieces of the security tests: a learner with a token on loopback, registered actors that
 * hold the keys the learner handed them, and raw ZeroMQ sockets as an attacker would open them.
 * Every attack is bounded in count and time.
 */
import { until as waitUntil } from './wait.js';
import { initBackend } from '../../src/backend/index.js';
import { afterEach, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import * as zmq from 'zeromq';
import { validateConfig } from '../../src/config/load.js';
import type { RunConfig } from '../../src/config/schema.js';
import { LearnerService } from '../../src/run/learner-service.js';
import {
  type BlockStep,
  connectInference,
  type CurveClientKeys,
  encode,
  encodeStepBlock,
  type InferenceClient,
  type LearnerContract,
  parseLearnerContract,
  type RegisterReply,
} from '../../src/transport/index.js';

export const TOKEN = 'security-test-token';

export function securityConfig(over: Record<string, unknown> = {}): RunConfig {
  const dir = mkdtempSync(join(tmpdir(), 'ck-sec-'));
  const base = {
    frames: 10_000_000,
    seed: 3,
    mode: 'seed',
    env: { id: 'minatar/breakout' },
    hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
    distributed: { actors: 1, envsPerActor: 2, maxWaitMs: 2, metricsListen: '127.0.0.1:0', token: TOKEN, listen: '127.0.0.1:0' },
    run: { dir, progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1000 },
  };
  const merged = { ...base, ...over } as Record<string, unknown>;
  for (const k of ['env', 'hyper', 'distributed', 'run'] as const) merged[k] = { ...(base[k] as object), ...((over[k] as object) ?? {}) };
  return validateConfig(merged, 'security test');
}

export async function startLearner(over: Record<string, unknown> = {}, logs: string[] = []): Promise<LearnerService> {
  const cfg = securityConfig(over);
  return LearnerService.start(cfg, { runDir: cfg.run.dir!, log: (m) => logs.push(m) });
}

export interface Registered {
  client: InferenceClient;
  reply: RegisterReply;
  contract: LearnerContract;
  keys: CurveClientKeys;
}

/** A token holder registering an actor id (it gets its own CURVE keypair in the contract). */
export async function register(svc: LearnerService, actorId: string, numEnvs = 2, splitPoint = 0): Promise<Registered> {
  const m = svc.learner.model;
  const client = connectInference({
    address: svc.address,
    token: TOKEN,
    hello: { actorId, numEnvs, obsShape: [...m.inputShape], numActions: m.numActions, splitPoint },
    backoff: { maxAttempts: 1 },
  });
  const reply = await client.ready();
  const contract = parseLearnerContract(reply.learnerConfig);
  if (!contract.curve) throw new Error('the learner handed out no CURVE keys');
  return { client, reply, contract, keys: contract.curve };
}

/** One whole step block as a single-chunk UploadChunk message. */
export function uploadMessage(actorId: string, uploadId: number, block: Uint8Array, meta: Record<string, unknown> | undefined): Buffer {
  return encode({
    type: 'UploadChunk',
    actorId,
    uploadId,
    chunkIndex: 0,
    chunkCount: 1,
    totalBytes: block.length,
    offset: 0,
    data: block,
    ...(meta ? { meta } : {}),
  });
}

/** T+1 locally computed steps (as an IMPALA actor uploads them) with a chosen reward: a complete unroll per env. */
export function forgedUnroll(svc: LearnerService, numEnvs: number, reward: number, firstStep = 0, steps?: number, logit = 0): Uint8Array {
  const m = svc.learner.model;
  const S = m.inputShape.reduce((a, b) => a * b, 1);
  const A = m.numActions;
  const T = svc.learner.config.hyper.unrollLength;
  const out: BlockStep[] = [];
  for (let i = 0; i < (steps ?? T + 1); i++) {
    out.push({
      step: firstStep + i,
      obs: new Uint8Array(numEnvs * S),
      local: {
        version: 0,
        actions: new Int32Array(numEnvs),
        logits: new Float32Array(numEnvs * A).fill(logit),
        prevRewards: new Float32Array(numEnvs).fill(reward),
        prevDones: new Uint8Array(numEnvs),
      },
    });
  }
  return encodeStepBlock({ numEnvs, obsSize: S, numActions: A, steps: out });
}

/** Observation-only steps (as a y > 0 actor uploads them). */
export function obsBlock(svc: LearnerService, numEnvs: number, firstStep: number, count: number): Uint8Array {
  const m = svc.learner.model;
  const S = m.inputShape.reduce((a, b) => a * b, 1);
  const steps: BlockStep[] = Array.from({ length: count }, (_, i) => ({ step: firstStep + i, obs: new Uint8Array(numEnvs * S) }));
  return encodeStepBlock({ numEnvs, obsSize: S, numActions: m.numActions, steps });
}

/** A PUSH socket; with keys it speaks CURVE. Sends never block for long (an unauthenticated peer never connects). */
export function pushSocket(address: string, curve?: { serverKey: string; publicKey: string; secretKey: string }, sendTimeout = 200): zmq.Push {
  const s = new zmq.Push({
    linger: 0,
    sendTimeout,
    ...(curve ? { curveServerKey: curve.serverKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey } : {}),
  });
  s.connect(address);
  return s;
}

/** Sends and reports how many sends ZeroMQ took (a send to nobody times out). */
export async function sendAll(s: zmq.Push, msgs: Buffer[]): Promise<number> {
  let n = 0;
  for (const m of msgs) {
    try {
      await s.send(m);
      n++;
    } catch {
      /* EAGAIN: no authenticated peer */
    }
  }
  return n;
}

/** Messages a SUB socket gets within ms (subscribed to everything). */
export async function subscribeFor(address: string, ms: number, curve?: CurveClientKeys): Promise<number> {
  const s = new zmq.Subscriber({
    linger: 0,
    receiveTimeout: ms,
    ...(curve ? { curveServerKey: curve.serverKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey } : {}),
  });
  s.connect(address);
  s.subscribe();
  let n = 0;
  const until = Date.now() + ms;
  try {
    while (Date.now() < until) {
      await s.receive();
      n++;
      if (curve) break;
    }
  } catch {
    /* receive timeout */
  } finally {
    s.close();
  }
  return n;
}

/** Polls every 20 ms (the attacks' counters move fast). */
export function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  return waitUntil(cond, ms, what, 20);
}

export const statusOf = (st: grpc.ClientDuplexStream<Buffer, Buffer>): Promise<grpc.StatusObject> => new Promise<grpc.StatusObject>((r) => st.on('status', r));

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface LearnerFixture {
  svc: LearnerService | undefined;
  readonly clients: Registered[];
  readonly cleanups: (() => void)[];
}

/**
 * The set-up every attack file shares: the backend once; after each test, its cleanups run, its
 * registered clients close and its learner stops.
 */
export function learnerFixture(): LearnerFixture {
  const f: LearnerFixture = { svc: undefined, clients: [], cleanups: [] };
  beforeAll(async () => {
    await initBackend({ log: () => {} });
  });
  afterEach(async () => {
    for (const c of f.cleanups.splice(0)) c();
    for (const c of f.clients.splice(0)) c.client.close();
    await f.svc?.stop();
    f.svc?.dispose();
    f.svc = undefined;
  });
  return f;
}
