/**
 * The learner and real actor processes on loopback: real gRPC, real ZeroMQ, real child processes
 * (bin/coknight.js actor, built by `npm test`'s tsc step). Small unrolls and batches keep each run to
 * seconds; assertions are on accounting and behaviour, never on wall-clock speed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import type { RunConfig } from '../src/config/schema.js';
import { LearnerService } from '../src/run/learner-service.js';
import { runDistributed } from '../src/run/distributed.js';
import { encode, openRawInferenceStream, PROTOCOL_VERSION } from '../src/transport/index.js';
import { freePort, until } from './helpers/wait.js';

const BIN = join(__dirname, '..', 'bin', 'coknight.js');

function config(over: Record<string, unknown>): RunConfig {
  const dir = mkdtempSync(join(tmpdir(), 'ck-dist-'));
  const base = {
    frames: 400,
    seed: 3,
    env: { id: 'minatar/breakout' },
    hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
    distributed: { actors: 2, envsPerActor: 2, maxWaitMs: 2, metricsListen: '127.0.0.1:0', token: 'integration-token' },
    run: { dir, progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
  };
  const merged = { ...base, ...over } as Record<string, unknown>;
  for (const k of ['env', 'hyper', 'distributed', 'run'] as const) merged[k] = { ...(base[k] as object), ...((over[k] as object) ?? {}) };
  return validateConfig(merged, 'test');
}

type Summary = Record<string, any>;

function checkAccounting(s: Summary): void {
  const a = s.stepAccounting;
  // Every served step is in exactly one unroll, still pending, or dropped with a departed actor.
  expect(a.served).toBe(a.assembled + a.pending + a.dropped);
  // Every assembled step was trained on, is queued, or was discarded after the frame budget.
  expect(a.assembled).toBe(a.trained + a.queued + a.discarded);
  expect(a.duplicates).toBe(0);
  expect(a.trained).toBeGreaterThanOrEqual(400);
}

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('distributed training on loopback', () => {
  it('seed mode: every step is served by the learner, accounted exactly, metrics served', async () => {
    let metricsText = '';
    const s: Summary = await runDistributed(config({ mode: 'seed', inference: 'onnx' }), {
      spawnActors: 2,
      log: () => {},
      onListening: (l) => {
        const poll = setInterval(() => {
          if (l.recorder.updates < 2 || l.learner.registry.size < 2) return;
          clearInterval(poll);
          void fetch(`http://${l.metricsAddress}/metrics`).then(async (r) => (metricsText = await r.text()));
        }, 20);
      },
    });
    expect(s.frames).toBeGreaterThanOrEqual(400);
    expect(s.actors).toHaveLength(2);
    for (const a of s.actors) {
      expect(a.splitPoint).toBe(0);
      expect(a.stepsServed).toBeGreaterThan(0);
      expect(a.stepsLocal).toBe(0);
      expect(a.actorView.bytes.inference.sentBytes).toBeGreaterThan(0);
      expect(a.actorView.bytes.upload.sentBytes).toBe(0);
    }
    checkAccounting(s);
    // The learner's batched tails ran on onnxruntime-node (what `inference: onnx` asks for).
    expect(s.inference).toMatch(/^onnxruntime-node 1\.30\.\d+ \(1 thread\)$/);
    expect(s.inferenceBusyFraction).toBeGreaterThan(0);
    expect(s.trainingBusyFraction).toBeGreaterThan(0);
    expect(metricsText).toContain('coknight_frames_total');
    expect(metricsText).toContain('coknight_inference_busy_fraction');
    // What users look for, with series from the start even while zero.
    for (const term of ['total', 'pg', 'baseline', 'entropy']) expect(metricsText).toMatch(new RegExp(`coknight_loss\\{term="${term}"\\} -?[0-9.e+-]+`));
    for (const m of ['coknight_policy_entropy', 'coknight_learning_rate', 'coknight_grad_norm', 'coknight_unroll_queue_depth'])
      expect(metricsText).toMatch(new RegExp(`^${m} `, 'm'));
    expect(metricsText).toMatch(/coknight_discarded_steps_total\{why="queue_full"\} 0/);
    expect(metricsText).toMatch(/coknight_rejected_messages_total\{reason="none"\} 0/);
    expect(metricsText).toMatch(/coknight_actor_bytes_per_second\{actor="a0",channel="inference",direction="sent"\}/);
    expect(metricsText).toMatch(/coknight_actor_env_steps_per_second\{actor="a[01]"\}/);
    // Parameter bytes count in the learner's per-actor totals (seed mode: no layers subscribed, so 0).
    for (const a of s.actors) expect(a.paramBytesSent).toBe(0);
    expect(s.discardedFraction).toBeGreaterThanOrEqual(0);
  });

  it('impala mode: actors run the whole network and upload unrolls', async () => {
    const logs: string[] = [];
    // A queue of one batch with drop-oldest: IMPALA actors outrun the learner, and the run must say how much it threw away.
    const s: Summary = await runDistributed(config({ mode: 'impala', distributed: { maxQueuedUnrolls: 4, queueFull: 'drop-oldest' } }), {
      spawnActors: 2,
      log: (m) => logs.push(m),
    });
    const lossLine = logs.find((l) => l.startsWith('actor steps:'));
    expect(lossLine).toMatch(/actor steps: \d+ produced, \d+ trained on, [\d.]+% discarded/);
    expect(s.discardedFraction).toBeCloseTo((s.stepAccounting.discarded + s.stepAccounting.dropped) / s.stepAccounting.served, 9);
    if (s.discardedFraction > 0.1) expect(logs.some((l) => /warning: \d+% of actor steps were discarded.*maxQueuedUnrolls/.test(l))).toBe(true);
    for (const a of s.actors) {
      expect(a.splitPoint).toBe(s.K);
      expect(a.stepsServed).toBe(0);
      expect(a.stepsLocal).toBeGreaterThan(0);
      expect(a.actorView.bytes.params.receivedBytes).toBeGreaterThan(0);
      expect(a.actorView.bytes.upload.sentBytes).toBeGreaterThan(0);
    }
    checkAccounting(s);
  });

  it('impala mode with tfjs heads: actors apply parameter updates while they act (policy lag of a few updates)', async () => {
    // A queue of one batch that never holds the actors back: nothing but the actors' own event loop
    // decides when they take new parameters. A loop that never yielded acted on its first
    // parameters for most of the run (mean lag 17 updates here, 1.4 with onnxruntime heads).
    const s: Summary = await runDistributed(
      config({ mode: 'impala', inference: 'tfjs', frames: 4000, distributed: { maxQueuedUnrolls: 4, queueFull: 'drop-oldest' } }),
      { spawnActors: 2, log: () => {} },
    );
    expect(s.updates).toBeGreaterThan(100);
    expect(s.policyLag).toBeLessThan(6);
    checkAccounting(s);
  });

  it('backpressure: with queueFull wait (the default) a full queue holds IMPALA actors back and drops none of their work', async () => {
    const s: Summary = await runDistributed(config({ mode: 'impala', distributed: { maxQueuedUnrolls: 4 } }), { spawnActors: 2, log: () => {} });
    expect(s.queueFull).toBe('wait');
    expect(s.queueFullHolds).toBeGreaterThan(0);
    expect(s.stepAccounting.discardedQueueFull).toBe(0);
    checkAccounting(s);
  });

  it('coknight mode with mixed split points: activations in, observations uploaded', async () => {
    const s: Summary = await runDistributed(config({ mode: 'coknight', inference: 'onnx', distributed: { splitPoints: [1, 0] } }), {
      spawnActors: 2,
      log: () => {},
    });
    const bySplit = Object.fromEntries(s.actors.map((a: Summary) => [a.id, a]));
    // Head layer 1 on the actor process and the tails on the learner, both on onnxruntime-node.
    expect(bySplit.a0.actorView.inference).toMatch(/^onnxruntime-node /);
    expect(s.inference).toMatch(/^onnxruntime-node /);
    expect(bySplit.a0.splitPoint).toBe(1);
    expect(bySplit.a1.splitPoint).toBe(0);
    expect(bySplit.a0.stepsServed).toBeGreaterThan(0);
    expect(bySplit.a0.actorView.bytes.upload.sentBytes).toBeGreaterThan(0);
    // layer 1 parameters only: far fewer bytes than the whole network
    expect(bySplit.a0.actorView.bytes.params.receivedBytes).toBeGreaterThan(0);
    expect(bySplit.a1.actorView.bytes.params.receivedBytes).toBe(0);
    expect(bySplit.a0.paramBytesSent).toBeGreaterThan(0);
    expect(bySplit.a1.paramBytesSent).toBe(0);
    checkAccounting(s);
  });

  it('an actor moved from y = K to y = 0 mid-run: its first served steps wait for its uploads, nothing refused, no second registration', async () => {
    // With the queue full its last local steps sit on the paused upload channel when its first
    // request arrives, hundreds of unrolls ahead of what the learner holds (refused before the fix:
    // BAD_SEQUENCE, the actor exited and came back at y = K).
    let moved = -1;
    const s: Summary = await runDistributed(config({ mode: 'coknight', frames: 12_000, distributed: { actors: 1, splitPoints: [2] } }), {
      spawnActors: 1,
      log: () => {},
      onListening: (svc: LearnerService) => {
        const t = setInterval(() => {
          const a = svc.learner.registry.get('a0');
          if (!a?.ctx || a.framesUploaded < 2000) return;
          clearInterval(t);
          moved = a.framesUploaded;
          svc.learner.moveActor('a0', 0);
        }, 10);
      },
    });
    expect(moved).toBeGreaterThan(0);
    const [a] = s.actors;
    expect(a.splitPoint).toBe(0);
    expect(a.registrations).toBe(1);
    expect(a.actorView.splitChanges).toBe(1);
    expect(a.stepsServed).toBeGreaterThan(0); // served by the learner after the move
    expect(a.stepsLocal).toBeGreaterThan(0); // computed at y = K before it
    expect(s.rejected ?? {}).toEqual({});
    checkAccounting(s);
  });

  it('an actor killed with SIGKILL is restarted and rejoins; training and accounting go on', { timeout: 180_000 }, async () => {
    let killed = false;
    const stop = new AbortController();
    let learner: LearnerService | undefined;
    // A budget the run never reaches: it ends through the abort once the killed actor is back.
    const cfg = config({ mode: 'seed', frames: 10_000_000 });
    const s: Summary = await runDistributed(cfg, {
      spawnActors: 2,
      log: () => {},
      stop: stop.signal,
      onListening: (l) => {
        learner = l;
        // End the run once the killed actor is back and has been served again.
        const poll = setInterval(() => {
          const a0 = l.learner.registry.get('a0');
          if (killed && a0 && a0.registrations >= 2 && a0.stepsServed > 200 && l.recorder.frames >= 600) {
            clearInterval(poll);
            stop.abort();
          }
        }, 50);
      },
      onActorSpawn: (i, child) => {
        if (i === 0 && !killed) {
          // Kill it once it has registered and been served (on a loaded machine it may join after
          // the other actor's first updates), so that its restart is a second registration.
          const poll = setInterval(() => {
            if ((learner?.recorder.updates ?? 0) < 3 || (learner?.learner.registry.get('a0')?.stepsServed ?? 0) === 0) return;
            clearInterval(poll);
            killed = true;
            child.kill('SIGKILL');
          }, 20);
        }
      },
    });
    const a0 = s.actors.find((a: Summary) => a.id === 'a0');
    expect(s.stoppedEarly).toBe(true);
    expect(a0.restarts).toBeGreaterThanOrEqual(1);
    expect(a0.registrations).toBeGreaterThanOrEqual(2);
    expect(s.frames).toBeGreaterThanOrEqual(600);
    const acc = s.stepAccounting;
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
    expect(acc.duplicates).toBe(0);
  });

  // A measured rate: on a loaded host the actor may not keep its link full for one run; measure again.
  it('caps an actor link at the configured bandwidth (within 10%)', { retry: 1 }, async () => {
    const cap = 10_000;
    // Two streams share the actor's link: while one waits for its reply the other sends.
    const s: Summary = await runDistributed(
      config({
        mode: 'seed',
        frames: 80,
        hyper: { unrollLength: 20, batchSize: 2 },
        distributed: { actors: 1, envsPerActor: 2, streamsPerActor: 2, bandwidth: cap },
      }),
      { spawnActors: 1, log: () => {} },
    );
    expect(s.actors.map((a: Summary) => a.id).sort()).toEqual(['a0.0', 'a0.1']);
    const v = s.actors[0].actorView;
    expect(v.streams).toBe(2);
    // Uplink and downlink are capped separately; observations make the uplink the bottleneck,
    // so the actor spends nearly all its time sending and its send rate sits at the cap.
    const rate = v.bytes.total.sentBytes / v.wallSeconds;
    expect(v.wallSeconds).toBeGreaterThan(1);
    expect(rate).toBeLessThanOrEqual(cap * 1.1);
    expect(rate).toBeGreaterThanOrEqual(cap * 0.9);
  });
});

describe('faults at the learner', () => {
  let learner: LearnerService;
  let actor: ChildProcess | undefined;

  afterAll(async () => {
    actor?.kill('SIGKILL');
  });

  it('rejects malformed messages with a gRPC status, keeps serving, resumes after a restart and actors reconnect', async () => {
    const port = await freePort();
    const cfg = config({ mode: 'seed', frames: 100_000, distributed: { listen: `127.0.0.1:${port}` } });
    const runDir = cfg.run.dir!;
    learner = await LearnerService.start(cfg, { runDir, log: () => {} });
    actor = spawn(process.execPath, [BIN, 'actor', '--learner', learner.address, '--actor-id', 'r0', '--envs', '2', '--seed', '5'], {
      env: { ...process.env, COKNIGHT_TOKEN: cfg.distributed.token },
      stdio: 'ignore',
    });
    await until(() => learner.recorder.updates >= 2, 30_000, 'first updates');

    // A bad token, and garbage after a valid Hello: each stream is refused, the learner goes on.
    const statusOf = (st: grpc.ClientDuplexStream<Buffer, Buffer>) => new Promise<grpc.StatusObject>((r) => st.on('status', r));
    const bad = openRawInferenceStream({ address: learner.address, token: 'wrong' });
    const badStatus = statusOf(bad.stream);
    bad.stream.write(Buffer.from('hello'));
    expect((await badStatus).code).toBe(grpc.status.UNAUTHENTICATED);
    bad.close();
    const raw = openRawInferenceStream({ address: learner.address, token: cfg.distributed.token! });
    const rawStatus = statusOf(raw.stream);
    raw.stream.write(
      encode({
        type: 'Hello',
        protocolVersion: PROTOCOL_VERSION,
        actorId: 'evil',
        token: cfg.distributed.token!,
        numEnvs: 1,
        obsShape: [10, 10, 4],
        numActions: 3,
        splitPoint: 0,
      }),
    );
    await new Promise((r) => raw.stream.once('data', r));
    const req = encode({
      type: 'StepRequest',
      stepId: 0,
      splitPoint: 0,
      headVersion: 0,
      dtype: 'uint8',
      shape: [10, 10, 3],
      numEnvs: 1,
      payload: new Uint8Array(300),
      rewards: new Float32Array(1),
      dones: new Uint8Array(1),
    });
    raw.stream.write(req);
    const st = await rawStatus;
    expect(st.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(st.details).toMatch(/shape/);
    raw.close();
    const before = learner.recorder.updates;
    await until(() => learner.recorder.updates >= before + 2, 30_000, 'updates after the bad messages');
    expect(learner.learner.serverStats!.rejectedByStatus.UNAUTHENTICATED).toBe(1);
    expect(learner.learner.serverStats!.rejectedByStatus.INVALID_ARGUMENT).toBe(1);

    // Restart: checkpoint, stop, start a new learner on the same port from the checkpoint.
    await learner.checkpoint();
    const framesAtCheckpoint = learner.recorder.frames;
    await learner.stop(null); // as a crash: the actor is not told the run ended, so it reconnects
    learner.dispose();
    learner = await LearnerService.start(cfg, { runDir, resume: runDir, log: () => {} });
    expect(learner.recorder.frames).toBe(framesAtCheckpoint);
    const restored = learner.recorder.updates;
    await until(() => learner.recorder.updates >= restored + 2 && learner.learner.registry.get('r0') !== undefined, 60_000, 'the actor to reconnect and train');
    expect(learner.recorder.frames).toBeGreaterThan(framesAtCheckpoint);
    await learner.stop();
    learner.dispose();
  });

  it('impala mode: an actor at y = K, which sends no requests, notices a learner restart, registers again and is trained on', async () => {
    const port = await freePort();
    const cfg = config({ mode: 'impala', frames: 100_000, distributed: { listen: `127.0.0.1:${port}` } });
    const runDir = cfg.run.dir!;
    learner = await LearnerService.start(cfg, { runDir, log: () => {} });
    actor = spawn(process.execPath, [BIN, 'actor', '--learner', learner.address, '--actor-id', 'k0', '--envs', '2', '--seed', '5'], {
      env: { ...process.env, COKNIGHT_TOKEN: cfg.distributed.token },
      stdio: 'ignore',
    });
    await until(() => learner.recorder.updates >= 2, 30_000, 'first updates');
    await learner.checkpoint();
    await learner.stop(null); // as a crash: the actor is not told the run ended
    learner.dispose();
    learner = await LearnerService.start(cfg, { runDir, resume: runDir, log: () => {} });
    const restored = learner.recorder.updates;
    await until(() => learner.recorder.updates >= restored + 2, 60_000, "updates on the returning actor's unrolls");
    const a = learner.learner.registry.get('k0')!;
    expect(a.splitPoint).toBe(learner.learner.model.K);
    expect(a.stepsLocal).toBeGreaterThan(0);
    await learner.stop();
    learner.dispose();
    actor.kill('SIGKILL');
  });

  it(
    'live DEFP: a newcomer that gains more takes the budget, the learner moves the first actor, no step lost or duplicated',
    { timeout: 120_000 },
    async () => {
      // MinAtar net: c_1 = 73,728, c_2 = 263,936 FLOPs; budget 400k FLOPs fits one actor at y = 0.
      // a: 1 MFLOP/s device → offloading saves ≈ 0.34 s; b: 0.1 MFLOP/s → saves ≈ 3.4 s. When b joins,
      // DEFP gives it the budget and sends a to y = K = 2.
      const cfg = config({ mode: 'coknight', frames: 100_000, partition: { edgeFlops: 1e10, computeBudget: 400_000 } });
      learner = await LearnerService.start(cfg, { runDir: cfg.run.dir!, log: () => {} });
      const start = (id: string, flops: number): ChildProcess =>
        spawn(
          process.execPath,
          [BIN, 'actor', '--learner', learner.address, '--actor-id', id, '--envs', '2', '--device-flops', String(flops), '--link-bytes-per-sec', '1000000'],
          {
            env: { ...process.env, COKNIGHT_TOKEN: cfg.distributed.token },
            stdio: 'ignore',
          },
        );
      const a = start('a', 1e6);
      await until(() => (learner.learner.registry.get('a')?.stepsServed ?? 0) > 50, 50_000, 'actor a served at y=0');
      expect(learner.learner.registry.get('a')!.splitPoint).toBe(0);
      const b = start('b', 1e5);
      try {
        await until(
          () => (learner.learner.registry.get('b')?.stepsServed ?? 0) > 50 && (learner.learner.registry.get('a')?.stepsLocal ?? 0) > 50,
          50_000,
          'the plan change',
        );
        expect(learner.learner.registry.get('a')!.splitPoint).toBe(2);
        expect(learner.learner.registry.get('b')!.splitPoint).toBe(0);
        const before = learner.recorder.updates;
        await until(() => learner.recorder.updates >= before + 3, 30_000, 'training after the switch');
        const acc = learner.learner.stepAccounting();
        expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
        expect(acc.dropped).toBe(0);
        expect(acc.duplicates).toBe(0);
        const text = await (await fetch(`http://${learner.metricsAddress}/metrics`)).text();
        expect(text).toMatch(/coknight_actor_split_point\{actor="a"\} 2/);
        expect(text).toMatch(/coknight_partition_budget_used\{resource="compute"\}/);
      } finally {
        a.kill('SIGKILL');
        b.kill('SIGKILL');
        await learner.stop();
        learner.dispose();
      }
    },
  );
});
