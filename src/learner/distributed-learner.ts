import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { measureForwardFlops } from '../actor/profile.js';
import type { RunConfig } from '../config/schema.js';
import { makeEnv } from '../env/index.js';
import { LearnerMetrics } from '../metrics/learner-metrics.js';
import { createModel, type PolicyModel } from '../model/index.js';
import {
  DynamicBatcher,
  ParamPublisher,
  ProtocolError,
  UploadPuller,
  paramTopic,
  startInferenceServer,
  type ActorContext,
  type Batch,
  type CompletedUpload,
  type Hello,
  type InferenceServer,
  type RegisterResult,
  type StepRequest,
  type StepResult,
} from '../transport/index.js';
import { decodeStepBlock } from '../transport/wire/index.js';
import { Rng } from '../util/rng.js';
import { checkpointRun, loadCheckpoint } from './checkpoint.js';
import { RunRecorder } from './run-recorder.js';
import { sampleFromLogits } from './sampling.js';
import { learnerHyperFromConfig, modelSpecFor, trainingEnvOptions } from './setup.js';
import { TrainStep } from './train-step.js';
import { TrajectoryAssembler, type Unroll } from './trajectory-assembler.js';
import { stackUnrolls } from './unroll-batch.js';

/** Decides each actor's split point when it joins (and may move others); see split-planner.ts. */
export interface SplitPlanner {
  join(actorId: string, hello: Hello): { splitPoint: number; changes: { actorId: string; splitPoint: number }[] };
  leave(actorId: string): { actorId: string; splitPoint: number }[];
  describe(): Record<string, unknown>;
}

interface ActorState {
  readonly id: string;
  readonly index: number;
  ctx: ActorContext | null;
  splitPoint: number;
  numEnvs: number;
  stepsServed: number;
  framesUploaded: number;
  stepsLocal: number;
  droppedSteps: number;
  connectedAt: number;
  registrations: number;
}

type Pending = { req: StepRequest; actor: ActorState };

const REPUBLISH_MS = 500;

export interface LearnerOptions {
  config: RunConfig;
  runDir: string;
  /** Builds the split planner once the model (and the learner's measured FLOP/s) are known. */
  planner: (model: PolicyModel, edgeFlops: number) => SplitPlanner;
  token?: string;
  resume?: string;
  log?: (msg: string) => void;
}

/**
 * The learner process: gRPC inference server (dynamic batching, grouped by split point, tail layers
 * on the learner's network), ZeroMQ parameter publisher and upload puller, the trajectory assembler,
 * and the V-trace train loop. One code path for every mode; the planner only picks split points.
 */
export class Learner {
  readonly config: RunConfig;
  readonly token: string;
  readonly metrics = new LearnerMetrics();
  readonly actors = new Map<string, ActorState>();
  model!: PolicyModel;
  recorder!: RunRecorder;
  assembler!: TrajectoryAssembler;
  server!: InferenceServer;
  publisher!: ParamPublisher;
  puller!: UploadPuller;
  metricsAddress = '';
  private trainStep!: TrainStep;
  private batcher!: DynamicBatcher<Pending, StepResult>;
  private readonly unrolls: Unroll[] = [];
  private readonly rng: Rng;
  private readonly log: (msg: string) => void;
  private readonly startedAt = performance.now();
  private inferenceMs = 0;
  private trainMs = 0;
  private lagSum = 0;
  private lagCount = 0;
  private lastCheckpointAt = performance.now();
  private running = false;
  private wake: (() => void) | null = null;
  private trainLoopDone: Promise<void> = Promise.resolve();
  private obsShape!: [number, number, number];
  private numActions = 0;
  private obsSize = 0;
  private stopRequested = false;
  private planner!: SplitPlanner;
  /** Learner FLOP/s measured on its own network at start-up (the cost model's f_e). */
  edgeFlops = 0;
  readonly rejectedUploads: Record<string, number> = {};

  constructor(private readonly opts: LearnerOptions) {
    this.config = opts.config;
    this.token = opts.token ?? opts.config.distributed.token ?? process.env.COKNIGHT_TOKEN ?? randomBytes(16).toString('hex');
    this.rng = new Rng(opts.config.seed * 31 + 7);
    this.log = opts.log ?? ((m) => console.error(m));
  }

  get K(): number {
    return this.model.K;
  }

  get address(): string {
    return this.server.address;
  }

  async start(): Promise<void> {
    const c = this.config;
    const probe = makeEnv(c.env.id, { ...trainingEnvOptions(c), seed: 0 });
    this.obsShape = probe.observationShape as [number, number, number];
    this.numActions = probe.numActions;
    this.obsSize = this.obsShape[0] * this.obsShape[1] * this.obsShape[2];
    this.model = createModel(modelSpecFor(c, this.obsShape), { inputShape: this.obsShape, numActions: this.numActions, seed: c.seed });
    this.trainStep = await TrainStep.create(this.model, learnerHyperFromConfig(c, this.model));
    this.recorder = new RunRecorder(this.opts.runDir, c);
    this.edgeFlops = measureForwardFlops(this.model, 32);
    this.planner = this.opts.planner(this.model, this.edgeFlops);
    if (this.opts.resume) {
      const ckpt = loadCheckpoint(this.opts.resume);
      this.model.setLayerWeights(ckpt.weights);
      await this.trainStep.setOptimizerState(ckpt.optimizer);
      this.trainStep.frames = ckpt.meta.frames;
      this.recorder.restore(ckpt.meta);
      this.log(`learner resumed from ${this.opts.resume} at ${ckpt.meta.frames} frames (version ${this.model.version})`);
    }
    const T = c.hyper.unrollLength;
    this.assembler = new TrajectoryAssembler(
      { unrollLength: T, numActions: this.numActions, obsSize: this.obsSize },
      (u) => this.onUnroll(u),
      (e) => {
        this.recorder.episode(e.ret, e.length, { actor: this.actorById(e.actorId)?.id ?? e.actorId, env: e.env });
        this.metrics.episodes.inc();
        this.metrics.episodeReturn.set(this.recorder.recent.mean());
      },
    );
    this.batcher = new DynamicBatcher<Pending, StepResult>({
      maxBatch: c.distributed.maxBatch,
      maxWaitMs: c.distributed.maxWaitMs,
      run: (b) => this.runBatch(b),
    });
    const listen = c.distributed.listen;
    const host = listen.slice(0, listen.lastIndexOf(':'));
    const zmqHost = host === '0.0.0.0' || host === '::' ? '*' : host;
    const advertise = c.distributed.advertiseHost ?? (zmqHost === '*' ? '127.0.0.1' : host);
    this.publisher = await ParamPublisher.bind({ address: `tcp://${zmqHost}:*` });
    this.puller = await UploadPuller.bind({ address: `tcp://${zmqHost}:*`, onUpload: (u) => this.onUpload(u) });
    const tls =
      c.distributed.tlsCert && c.distributed.tlsKey
        ? { cert: readFileSync(c.distributed.tlsCert), key: readFileSync(c.distributed.tlsKey) }
        : undefined;
    this.server = await startInferenceServer({
      address: listen,
      token: this.token,
      tls,
      handler: {
        register: (hello, ctx) => this.register(hello, ctx, advertise),
        step: (req, ctx) => this.step(req, ctx),
        disconnect: (ctx, _code, details) => this.disconnect(ctx, details),
      },
      activationShape: (y) => (y > 0 && y < this.model.K ? this.model.layers[y - 1].outShape : undefined),
    });
    if (c.distributed.metricsListen) this.metricsAddress = await this.metrics.listen(c.distributed.metricsListen);
    this.running = true;
    this.trainLoopDone = this.trainLoop();
    await this.publishParams();
    // PUB/SUB drops messages for subscribers still connecting ("slow joiners"), and an actor that
    // just joined may be the only source of data: republish whenever no update has gone out lately.
    this.republishTimer = setInterval(() => {
      if (performance.now() - this.lastPublishAt >= REPUBLISH_MS) {
        this.publishParams().catch((e: Error) => this.log(`parameter republish failed: ${e.message}`));
      }
    }, REPUBLISH_MS);
  }

  private republishTimer: ReturnType<typeof setInterval> | undefined;
  private lastPublishAt = 0;

  private endpoint(socketEndpoint: string, advertise: string): string {
    // zeromq reports e.g. tcp://0.0.0.0:41234 or tcp://127.0.0.1:41234: keep the port, use the advertised host.
    const port = socketEndpoint.slice(socketEndpoint.lastIndexOf(':') + 1);
    return `tcp://${advertise}:${port}`;
  }

  private actorById(index: number): ActorState | undefined {
    for (const a of this.actors.values()) if (a.index === index) return a;
    return undefined;
  }

  private register(hello: Hello, ctx: ActorContext, advertise: string): RegisterResult {
    const want = this.obsShape.join('x');
    if (hello.obsShape.join('x') !== want || hello.numActions !== this.numActions) {
      throw new ProtocolError(
        'BAD_SHAPE',
        `actor "${hello.actorId}" runs observations [${hello.obsShape.join(', ')}] with ${hello.numActions} actions, but this learner trains ` +
          `${this.config.env.id} ([${this.obsShape.join(', ')}], ${this.numActions} actions): start the actor with --env ${this.config.env.id}`,
      );
    }
    let a = this.actors.get(hello.actorId);
    if (a) {
      // A reconnecting actor restarts its envs and step ids: forget its unfinished unrolls.
      a.droppedSteps += this.assembler.dropActor(a.index);
      this.planner.leave(a.id);
    } else {
      a = {
        id: hello.actorId,
        index: this.actors.size,
        ctx: null,
        splitPoint: 0,
        numEnvs: hello.numEnvs,
        stepsServed: 0,
        framesUploaded: 0,
        stepsLocal: 0,
        droppedSteps: 0,
        connectedAt: performance.now(),
        registrations: 0,
      };
      this.actors.set(hello.actorId, a);
    }
    a.registrations++;
    a.ctx = ctx;
    a.numEnvs = hello.numEnvs;
    const plan = this.planner.join(hello.actorId, hello);
    a.splitPoint = plan.splitPoint;
    this.applyChanges(plan.changes, hello.actorId);
    this.metrics.splitPoint.set({ actor: a.id }, a.splitPoint);
    this.metrics.actorsConnected.set(this.connectedCount());
    this.planMetrics();
    this.log(`actor ${a.id} joined (${hello.numEnvs} envs, peer ${ctx.peer}) at split point ${a.splitPoint}/${this.model.K}`);
    this.recorder.trainLog.write({ event: 'join', actor: a.id, splitPoint: a.splitPoint, plan: this.planner.describe() });
    return {
      splitPoint: a.splitPoint,
      numLayers: this.model.K,
      paramVersion: this.model.version,
      paramsAddress: this.endpoint(this.publisher.endpoint, advertise),
      uploadAddress: this.endpoint(this.puller.endpoint, advertise),
      learnerConfig: {
        actorIndex: a.index,
        env: this.config.env,
        model: this.model.spec,
        unrollLength: this.config.hyper.unrollLength,
        seed: this.config.seed,
        registration: a.registrations,
      },
    };
  }

  private applyChanges(changes: { actorId: string; splitPoint: number }[], except: string): void {
    for (const ch of changes) {
      if (ch.actorId === except) continue;
      const other = this.actors.get(ch.actorId);
      if (!other?.ctx || other.splitPoint === ch.splitPoint) continue;
      other.splitPoint = ch.splitPoint;
      other.ctx.push({ type: 'SplitPointChange', splitPoint: ch.splitPoint, fromStepId: 0, reason: 'partition plan changed' });
      this.metrics.splitPoint.set({ actor: other.id }, ch.splitPoint);
      this.log(`actor ${other.id} moves to split point ${ch.splitPoint}`);
    }
  }

  /** Budget use of the current partition plan, where the planner has budgets (DEFP). */
  private planMetrics(): void {
    const d = this.planner.describe();
    for (const r of ['compute', 'bandwidth'] as const) {
      const used = d[`${r}Used`];
      const budget = d[`${r}Budget`];
      if (typeof used === 'number' && typeof budget === 'number' && budget > 0) this.metrics.budgetUsed.set({ resource: r }, used / budget);
    }
  }

  private connectedCount(): number {
    let n = 0;
    for (const a of this.actors.values()) if (a.ctx) n++;
    return n;
  }

  private disconnect(ctx: ActorContext, details: string): void {
    const a = this.actors.get(ctx.actorId);
    if (!a || a.ctx !== ctx) return;
    this.keepBytes(a.id, ctx);
    a.ctx = null;
    a.droppedSteps += this.assembler.dropActor(a.index);
    this.applyChanges(this.planner.leave(a.id), a.id);
    this.metrics.actorsConnected.set(this.connectedCount());
    this.planMetrics();
    if (!this.stopRequested) this.log(`actor ${a.id} left (${details})`);
    this.recorder.trainLog.write({ event: 'leave', actor: a.id, details });
  }

  private async step(req: StepRequest, ctx: ActorContext): Promise<StepResult> {
    const a = this.actors.get(ctx.actorId);
    if (!a || a.ctx !== ctx) throw new ProtocolError('UNKNOWN_ACTOR', `actor "${ctx.actorId}" is not registered on this stream`);
    if (req.splitPoint >= this.model.K) {
      throw new ProtocolError('BAD_FIELD', `StepRequest.splitPoint ${req.splitPoint}: an actor at split point K=${this.model.K} computes locally and uploads unrolls`);
    }
    if (req.dtype !== (req.splitPoint === 0 ? 'uint8' : 'float32')) {
      throw new ProtocolError('BAD_DTYPE', `StepRequest.dtype must be ${req.splitPoint === 0 ? 'uint8 (raw observations)' : 'float32 (activations)'} at split point ${req.splitPoint}`);
    }
    if (req.splitPoint === 0) {
      const obs = req.payload as Uint8Array;
      for (let e = 0; e < req.numEnvs; e++) this.assembler.observation(a.index, e, req.stepId, obs.subarray(e * this.obsSize, (e + 1) * this.obsSize));
    }
    if (req.stepId > 0) {
      for (let e = 0; e < req.numEnvs; e++) this.assembler.outcome(a.index, e, req.stepId - 1, req.rewards[e], req.dones[e] === 1);
    }
    const res = await this.batcher.submit(req.splitPoint, req.numEnvs, { req, actor: a });
    // The behaviour policy is as old as the oldest parameters that produced the action: the actor's
    // head layers (y > 0) or the learner's own network (y = 0).
    const version = this.model.version;
    const behaviourVersion = req.splitPoint === 0 ? version : Math.min(version, req.headVersion);
    for (let e = 0; e < req.numEnvs; e++) {
      this.assembler.served(a.index, e, req.stepId, res.actions[e], res.logits.subarray(e * this.numActions, (e + 1) * this.numActions), behaviourVersion);
    }
    a.stepsServed += req.numEnvs;
    this.metrics.inferenceRequests.inc();
    this.metrics.inferenceEnvSteps.inc(req.numEnvs);
    return a.splitPoint !== req.splitPoint ? { ...res, newSplitPoint: a.splitPoint } : res;
  }

  /** One inference batch: all requests share a split point y; run layers y+1..K and sample. */
  private async runBatch(b: Batch<Pending>): Promise<StepResult[]> {
    const t0 = performance.now();
    const y = b.splitPoint;
    const n = b.envSteps;
    const first = b.items[0].req;
    const per = first.shape.reduce((x, d) => x * d, 1);
    const input = new Float32Array(n * per);
    let o = 0;
    for (const { req } of b.items) {
      input.set(req.payload, o);
      o += req.payload.length;
    }
    const { logits, values } = tf.tidy(() => {
      const h = tf.tensor(input, [n, ...first.shape]);
      const out = this.model.tail(h, y);
      return { logits: out.logits.dataSync() as Float32Array, values: out.value.dataSync() as Float32Array };
    });
    for (const v of logits) if (!Number.isFinite(v)) throw new Error(`learner network produced non-finite logits at split point ${y}`);
    const A = this.numActions;
    const actions = sampleFromLogits(logits, n, A, this.rng);
    const results: StepResult[] = [];
    let row = 0;
    for (const { req } of b.items) {
      const m = req.numEnvs;
      results.push({
        numEnvs: m,
        numActions: A,
        actions: actions.slice(row, row + m),
        logits: logits.slice(row * A, (row + m) * A),
        values: values.slice(row, row + m),
      });
      row += m;
    }
    this.metrics.batchSize.observe(n);
    this.inferenceMs += performance.now() - t0;
    return results;
  }

  private onUpload(u: CompletedUpload): void {
    const a = this.actors.get(u.actorId);
    if (!a) {
      this.rejectedUploads.UNKNOWN_ACTOR = (this.rejectedUploads.UNKNOWN_ACTOR ?? 0) + 1;
      this.metrics.rejected.inc({ reason: 'UNKNOWN_ACTOR' });
      return;
    }
    const registration = Number(u.meta?.registration ?? a.registrations);
    if (registration !== a.registrations) return; // from before the actor reconnected: its unrolls were dropped
    try {
      const block = decodeStepBlock(u.data, { numEnvs: a.numEnvs, obsSize: this.obsSize, numActions: this.numActions });
      const A = this.numActions;
      const S = this.obsSize;
      for (const s of block.steps) {
        if (s.obs) {
          for (let e = 0; e < a.numEnvs; e++) this.assembler.observation(a.index, e, s.step, s.obs.subarray(e * S, (e + 1) * S));
          a.framesUploaded += a.numEnvs;
        }
        if (s.local) {
          const l = s.local;
          for (let e = 0; e < a.numEnvs; e++) {
            if (s.step > 0) this.assembler.outcome(a.index, e, s.step - 1, l.prevRewards[e], l.prevDones[e] === 1);
            this.assembler.served(a.index, e, s.step, l.actions[e], l.logits.subarray(e * A, (e + 1) * A), l.version);
          }
          a.stepsLocal += a.numEnvs;
        }
      }
    } catch (e) {
      const code = e instanceof ProtocolError ? e.code : 'UNKNOWN';
      this.rejectedUploads[code] = (this.rejectedUploads[code] ?? 0) + 1;
      this.metrics.rejected.inc({ reason: `upload_${code}` });
      this.log(`rejected an upload from actor ${a.id}: ${(e as Error).message}`);
    }
  }

  private onUnroll(u: Unroll): void {
    this.unrolls.push(u);
    const excess = this.unrolls.length - this.config.distributed.maxQueuedUnrolls;
    if (excess > 0) {
      this.unrolls.splice(0, excess);
      this.discardedUnrolls += excess;
    }
    if (this.unrolls.length >= this.config.hyper.batchSize && this.wake) {
      const w = this.wake;
      this.wake = null;
      w();
    }
  }

  private async trainLoop(): Promise<void> {
    const { batchSize: B, unrollLength: T } = this.config.hyper;
    while (this.running) {
      if (this.unrolls.length < B) {
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      if (this.recorder.frames >= this.config.frames) {
        this.discardedUnrolls += this.unrolls.length;
        this.unrolls.length = 0;
        continue;
      }
      const batchUnrolls = this.unrolls.splice(0, B);
      const t0 = performance.now();
      const batch = stackUnrolls(batchUnrolls, T, this.numActions, this.obsSize);
      let lag = 0;
      for (const u of batchUnrolls) lag += this.model.version - u.minVersion;
      const stats = this.trainStep.step(batch);
      this.trainMs += performance.now() - t0;
      this.lagSum += lag / B;
      this.lagCount++;
      this.metrics.policyLag.set(lag / B);
      this.metrics.frames.inc(T * B * this.trainStep.hp.actionRepeat);
      const fps = this.recorder.update(stats, { policyLag: lag / B, ...this.busy() });
      if (fps !== null) {
        this.metrics.framesPerSecond.set(fps);
        this.updateByteMetrics();
      }
      const busy = this.busy();
      this.metrics.inferenceBusy.set(busy.inferenceBusy);
      this.metrics.trainingBusy.set(busy.trainingBusy);
      if (this.recorder.updates % this.config.distributed.paramSyncEvery === 0) await this.publishParams();
      if ((performance.now() - this.lastCheckpointAt) / 1000 >= this.config.run.checkpointEverySeconds) await this.checkpoint();
      this.onUpdate?.(this);
      // Let queued inference requests in between updates.
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Called after each update (progress display). */
  onUpdate: ((l: Learner) => void) | null = null;

  /**
   * Exact step accounting: every step the actors had served (by the learner or locally) is in an
   * assembled unroll, still pending, or dropped with an actor that left; every assembled step is
   * trained on, still queued, or discarded once the frame budget was reached.
   */
  stepAccounting(): Record<string, number> {
    let served = 0;
    let dropped = 0;
    for (const a of this.actors.values()) {
      served += a.stepsServed + a.stepsLocal;
      dropped += a.droppedSteps;
    }
    const T = this.config.hyper.unrollLength;
    return {
      served,
      assembled: this.assembler.stepsAssembled,
      pending: this.assembler.pendingSteps(),
      dropped,
      duplicates: this.assembler.duplicates,
      trained: this.recorder.updates * this.config.hyper.batchSize * T,
      queued: this.unrolls.length * T,
      discarded: this.discardedUnrolls * T,
    };
  }

  private discardedUnrolls = 0;

  /** Milliseconds spent in inference and in training since start (for windowed measurements). */
  busyTotals(): { inferenceMs: number; trainMs: number } {
    return { inferenceMs: this.inferenceMs, trainMs: this.trainMs };
  }

  busy(): { inferenceBusy: number; trainingBusy: number } {
    const wall = performance.now() - this.startedAt;
    return { inferenceBusy: this.inferenceMs / wall, trainingBusy: this.trainMs / wall };
  }

  get policyLag(): number {
    return this.lagCount ? this.lagSum / this.lagCount : 0;
  }

  get done(): boolean {
    return this.recorder.frames >= this.config.frames;
  }

  /** Publishes each layer on its own topic, so an actor at split point y takes only layers 1..y. */
  async publishParams(): Promise<void> {
    this.lastPublishAt = performance.now();
    const v = this.model.version;
    for (let k = 1; k <= this.model.K; k++) {
      const data = this.model.getLayerWeights(k, k);
      await this.publisher.publish(paramTopic(k, k), v, [{ index: k, data }]);
    }
  }

  private updateByteMetrics(): void {
    for (const a of this.actors.values()) {
      const inf = this.inferenceBytes(a);
      this.metrics.actorBytes.set({ actor: a.id, channel: 'inference', direction: 'received' }, inf.received);
      this.metrics.actorBytes.set({ actor: a.id, channel: 'inference', direction: 'sent' }, inf.sent);
      const up = this.puller.statsFor(a.id).snapshot();
      this.metrics.actorBytes.set({ actor: a.id, channel: 'upload', direction: 'received' }, up.upload.receivedBytes);
    }
  }

  async checkpoint(): Promise<string> {
    this.lastCheckpointAt = performance.now();
    return checkpointRun(this.opts.runDir, this.config, this.recorder, this.model, () => this.trainStep.getOptimizerState());
  }


  /** Per-actor accounting for summary.json. */
  actorSummaries(extra: (id: string) => Record<string, unknown> = () => ({})): Record<string, unknown>[] {
    return [...this.actors.values()].map((a) => {
      const inf = this.inferenceBytes(a);
      const up = this.puller.statsFor(a.id).snapshot();
      return {
        id: a.id,
        splitPoint: a.splitPoint,
        frames: (a.stepsServed + a.stepsLocal) * this.trainStep.hp.actionRepeat,
        stepsServed: a.stepsServed,
        stepsLocal: a.stepsLocal,
        stepsDropped: a.droppedSteps,
        registrations: a.registrations,
        learnerBytesReceived: inf.received + up.upload.receivedBytes,
        learnerBytesSent: inf.sent,
        ...extra(a.id),
      };
    });
  }

  /** Inference-channel bytes of an actor's closed streams, summed over its registrations. */
  private readonly pastBytes = new Map<string, { sent: number; received: number }>();

  private keepBytes(id: string, ctx: ActorContext): void {
    const s = ctx.stats.snapshot().inference;
    const p = this.pastBytes.get(id) ?? { sent: 0, received: 0 };
    p.sent += s.sentBytes;
    p.received += s.receivedBytes;
    this.pastBytes.set(id, p);
  }

  private inferenceBytes(a: ActorState): { sent: number; received: number } {
    const p = this.pastBytes.get(a.id) ?? { sent: 0, received: 0 };
    const live = a.ctx?.stats.snapshot().inference;
    return { sent: p.sent + (live?.sentBytes ?? 0), received: p.received + (live?.receivedBytes ?? 0) };
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.running = false;
    clearInterval(this.republishTimer);
    if (this.wake) {
      const w = this.wake;
      this.wake = null;
      w();
    }
    await this.trainLoopDone;
    for (const a of this.actors.values()) {
      if (!a.ctx) continue;
      this.keepBytes(a.id, a.ctx);
      a.ctx = null;
    }
    this.batcher.close();
    await this.server.close();
    this.publisher.close();
    await this.puller.close();
    await this.metrics.close();
  }

  dispose(): void {
    this.trainStep.dispose();
    this.model.dispose();
  }
}
