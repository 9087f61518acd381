/**
 * The learner: a gRPC inference server (InferenceHandler: dynamic batching per split point, tail
 * layers on the learner's network), ZeroMQ parameter publisher and upload puller (UploadIntake), the
 * trajectory assembler, the unroll queue and the V-trace train loop. One code path for every mode;
 * the split planner only picks split points. No IO of its own: files, processes and the screen are
 * run/'s, reached through a LearnerSink; save()/restore() hand state to and from a checkpoint.
 */
import type { RunConfig } from '../config/schema.js';
import { makeEnv } from '../env/index.js';
import { LearnerMetrics } from '../metrics/learner-metrics.js';
import { createModel, measureForwardFlops, type PolicyModel } from '../model/index.js';
import {
  type ActorContext,
  type CurveKeyPair,
  curveKeyPair,
  type Hello,
  type InferenceServer,
  ParamPublisher,
  paramTopic,
  ProtocolError,
  type RegisterResult,
  type ServerTls,
  startInferenceServer,
  UploadPuller,
  ZapAuthenticator,
} from '../transport/index.js';
import { Rng } from '../util/rng.js';
import { ActorRegistry } from './actor-registry.js';
import { stackUnrolls } from './batch.js';
import { InferenceHandler } from './inference-handler.js';
import { Membership } from './membership.js';
import { contractFor, learnerHyperFromConfig, modelSpecFor, trainingEnvOptions } from './setup.js';
import type { LearnerSink } from './sink.js';
import type { SplitPlanner } from './split-planner.js';
import { type OptimizerSlot, TrainStep } from './train-step.js';
import { TrajectoryAssembler, type Unroll } from './trajectory-assembler.js';
import { RejectLog, UploadIntake } from './upload-intake.js';

const REPUBLISH_MS = 500;

export interface LearnerOptions {
  readonly config: RunConfig;
  readonly token: string;
  readonly sink: LearnerSink;
  /** Builds the split planner once the model (and the learner's measured FLOP/s) are known. */
  readonly planner: (model: PolicyModel, edgeFlops: number) => SplitPlanner;
  readonly tls?: ServerTls;
}

/** Step counts whose identities (served = assembled + pending + dropped; assembled = trained + queued + discarded) must hold. */
export interface StepAccounting {
  readonly served: number;
  readonly assembled: number;
  readonly pending: number;
  readonly dropped: number;
  readonly duplicates: number;
  /** Pieces of unrolls that were already closed (replays), ignored and never counted as served. */
  readonly stale: number;
  readonly trained: number;
  readonly queued: number;
  readonly discarded: number;
  /** The part of `discarded` dropped because the unroll queue was full (the rest: after the frame budget). */
  readonly discardedQueueFull: number;
}

/** What a checkpoint holds of a learner. */
export interface LearnerState {
  readonly weights: Uint8Array;
  readonly optimizer: readonly OptimizerSlot[];
  readonly frames: number;
  readonly updates: number;
}

export class Learner {
  /** Updates done, over the whole run (restored on resume). */
  updates = 0;
  /** Updates done before this process restored a checkpoint (for step accounting). */
  private updatesAtStart = 0;
  private readonly unrolls: Unroll[] = [];
  private discardedUnrolls = 0;
  /** Set while the unroll queue is full and actors are held back. */
  private full: { promise: Promise<void>; release: () => void } | undefined;
  /** How often the queue filled and held the actors back. */
  heldCount = 0;
  /** Unrolls dropped because the queue was full (distributed.queueFull 'drop-oldest'). */
  private queueFullUnrolls = 0;
  /** Train steps skipped for a non-finite loss or gradient. */
  skippedUpdates = 0;
  private readonly skipLog = new RejectLog((_a, _r, m) => this.opts.sink.log(m));
  private trainMs = 0;
  private lagSum = 0;
  private lagCount = 0;
  private readonly startedAt = performance.now();
  private lastPublishAt = 0;
  private running = false;
  private wake: (() => void) | null = null;
  private trainLoopDone: Promise<void> = Promise.resolve();
  private republishTimer: ReturnType<typeof setInterval> | undefined;
  private server: InferenceServer | undefined;
  private publisher: ParamPublisher | undefined;
  /** One CURVE upload socket per actor (its ZAP domain admits only that actor's current key). */
  private readonly uploadSockets = new Map<string, { puller: UploadPuller; domain: string; key?: string }>();
  private readonly registering = new Set<string>();
  private zap: ZapAuthenticator | undefined;
  private serverKeys: CurveKeyPair | undefined;
  private paramsDomain = '';
  private zmqHost = '127.0.0.1';
  private advertise = '127.0.0.1';

  private constructor(
    private readonly opts: LearnerOptions,
    readonly metrics: LearnerMetrics,
    readonly registry: ActorRegistry,
    readonly model: PolicyModel,
    private readonly trainStep: TrainStep,
    readonly planner: SplitPlanner,
    /** Learner FLOP/s measured on its own network at start-up (the cost model's f_e). */
    readonly edgeFlops: number,
    readonly assembler: TrajectoryAssembler,
    readonly intake: UploadIntake,
    readonly inference: InferenceHandler,
    private readonly membership: Membership,
  ) {}

  /** Builds the network, optimizer, planner and data path (nothing listens until start()). */
  static async create(opts: LearnerOptions): Promise<Learner> {
    const c = opts.config;
    const probe = makeEnv(c.env.id, { ...trainingEnvOptions(c), seed: 0 });
    const obsShape = probe.observationShape as [number, number, number];
    const model = createModel(modelSpecFor(c, obsShape), { inputShape: obsShape, numActions: probe.numActions, seed: c.seed });
    const trainStep = await TrainStep.create(model, learnerHyperFromConfig(c));
    const edgeFlops = measureForwardFlops(model, 32);
    const dims = { unrollLength: c.hyper.unrollLength, numActions: probe.numActions, obsSize: obsShape[0] * obsShape[1] * obsShape[2] };
    const ref: { learner?: Learner } = {};
    const registry = new ActorRegistry();
    const metrics = new LearnerMetrics();
    const assembler = new TrajectoryAssembler(
      dims,
      (u) => ref.learner!.onUnroll(u),
      (e) => ref.learner!.onEpisode(e.actorId, e.env, e.ret, e.length),
      { maxPendingPerEnv: c.distributed.maxPendingUnrollsPerEnv, maxUnrollsAhead: Math.max(64, 4 * c.distributed.maxPendingUnrollsPerEnv) },
      (actor, steps) => {
        const a = registry.at(actor);
        if (a) a.droppedSteps += steps;
        metrics.droppedPendingSteps.inc(steps);
      },
    );
    const d = c.distributed;
    // MinAtar observations are 0/1 per cell and channel; anything else is uint8 (0..255).
    const maxObsValue = c.env.id.startsWith('minatar/') ? 1 : 255;
    const limits = { maxAbsReward: d.maxAbsReward, maxAbsLogit: d.maxAbsLogit, maxAbsActivation: d.maxAbsActivation, maxObsValue };
    const intake = new UploadIntake(
      dims,
      registry,
      assembler,
      metrics,
      (actor, reason, message) => {
        opts.sink.event({ event: 'upload_rejected', actor, reason });
        opts.sink.log(`rejected an upload from actor ${actor}: ${message}`);
      },
      limits,
    );
    const streamsAt = (y: number): number => {
      let n = 0;
      for (const a of registry.all()) if (a.ctx && a.splitPoint === y) n++;
      return n;
    };
    const room = (): Promise<void> | undefined => ref.learner?.room();
    const inference = new InferenceHandler(model, intake, assembler, metrics, new Rng(c.seed * 31 + 7), { ...c.distributed, streamsAt, room });
    const planner = opts.planner(model, edgeFlops);
    const membership = new Membership(c.env.id, model, registry, planner, assembler, metrics, opts.sink);
    const learner = new Learner(opts, metrics, registry, model, trainStep, planner, edgeFlops, assembler, intake, inference, membership);
    ref.learner = learner;
    return learner;
  }

  get K(): number {
    return this.model.K;
  }

  get config(): RunConfig {
    return this.opts.config;
  }

  /** host:port of the inference server (after start()). */
  get address(): string {
    return this.server?.address ?? '';
  }

  /** Frames trained on (restored on resume). */
  get frames(): number {
    return this.trainStep.frames;
  }

  get done(): boolean {
    return this.frames >= this.config.frames;
  }

  get serverStats(): InferenceServer['stats'] | undefined {
    return this.server?.stats;
  }

  /** Binds the gRPC server and the ZeroMQ sockets, starts training and publishing. */
  async start(): Promise<void> {
    const d = this.config.distributed;
    const host = d.listen.slice(0, d.listen.lastIndexOf(':'));
    const zmqHost = host === '0.0.0.0' || host === '::' ? '*' : host;
    this.zmqHost = zmqHost;
    this.advertise = d.advertiseHost ?? (zmqHost === '*' ? '127.0.0.1' : host);
    try {
      // ZeroMQ channels are CURVE-encrypted, and only keys handed out at registration get through.
      this.serverKeys = curveKeyPair();
      this.zap = await ZapAuthenticator.acquire();
      this.paramsDomain = ZapAuthenticator.domain('params');
      this.publisher = await ParamPublisher.bind({ address: `tcp://${zmqHost}:*`, curve: { secretKey: this.serverKeys.secretKey, domain: this.paramsDomain } });
      this.server = await startInferenceServer({
        address: d.listen,
        token: this.opts.token,
        tls: this.opts.tls,
        handler: {
          contract: () => this.contractReply(),
          register: (hello, ctx) => this.register(hello, ctx),
          step: (req, ctx) => {
            const a = this.registry.live(ctx);
            if (!a) throw new ProtocolError('UNKNOWN_ACTOR', `actor "${ctx.actorId}" is not registered on this stream`);
            return this.inference.step(a, req);
          },
          disconnect: (ctx, _code, details) => this.disconnect(ctx, details),
        },
        activationShape: (y) => (y > 0 && y < this.K ? this.model.layers[y - 1].outShape : undefined),
        maxConnections: d.maxConnections,
        connectionIdleMs: d.connectionIdleMs,
      });
    } catch (e) {
      // Release whatever did bind (a busy gRPC port must not leave the ZeroMQ ports held).
      this.publisher?.close();
      this.inference.close();
      if (this.zap) await this.zap.release([this.paramsDomain]);
      this.zap = undefined;
      throw e;
    }
    this.running = true;
    this.trainLoopDone = this.trainLoop();
    await this.publishParams();
    // PUB/SUB drops messages for subscribers still connecting ("slow joiners"), and an actor that
    // just joined may be the only source of data: republish whenever no update has gone out lately.
    this.republishTimer = setInterval(() => {
      this.securityMetrics();
      if (performance.now() - this.lastPublishAt >= REPUBLISH_MS) {
        this.publishParams().catch((e: Error) => this.opts.sink.log(`parameter republish failed: ${e.message}`));
      }
    }, REPUBLISH_MS);
  }

  private endpoint(socketEndpoint: string): string {
    // zeromq reports e.g. tcp://0.0.0.0:41234: keep the port, use the advertised host.
    return `tcp://${this.advertise}:${socketEndpoint.slice(socketEndpoint.lastIndexOf(':') + 1)}`;
  }

  private contractReply(): RegisterResult {
    return {
      splitPoint: 0,
      numLayers: this.K,
      paramVersion: this.model.version,
      paramsAddress: '',
      uploadAddress: '',
      learnerConfig: contractFor(this.config, this.model.spec, this.K),
    };
  }

  /** This actor's upload socket, bound at its first registration and kept while it is remembered. */
  private async uploadSocket(actorId: string): Promise<{ puller: UploadPuller; domain: string; key?: string }> {
    let u = this.uploadSockets.get(actorId);
    if (u) return u;
    const domain = ZapAuthenticator.domain(`upload/${this.uploadSockets.size}`);
    const puller = await UploadPuller.bind({
      address: `tcp://${this.zmqHost}:*`,
      actorId,
      curve: { secretKey: this.serverKeys!.secretKey, domain },
      maxPendingBytes: this.config.distributed.maxPendingUploadBytes,
      onUpload: (x) => this.intake.upload(x),
      onReject: (code, message) => this.intake.rejectedChunk(actorId, code, message),
    });
    if (this.full) puller.pause(); // joining while the queue is full: held back like the others
    u = { puller, domain };
    this.uploadSockets.set(actorId, u);
    return u;
  }

  private async register(hello: Hello, ctx: ActorContext): Promise<RegisterResult> {
    try {
      return await this.admit(hello, ctx);
    } catch (e) {
      this.membership.refused(hello, ctx, e as Error);
      throw e;
    }
  }

  private async admit(hello: Hello, ctx: ActorContext): Promise<RegisterResult> {
    // A second Hello for an actor with a live stream would take over its slot: refuse it (the real
    // actor keeps its stream; a genuine reconnect retries until the learner has seen the old one end).
    const live = this.registry.get(hello.actorId);
    if ((live?.ctx && live.ctx !== ctx) || this.registering.has(hello.actorId)) {
      throw new ProtocolError(
        'ALREADY_REGISTERED',
        `actor id "${hello.actorId}" already has a live stream on this learner: each actor needs its own --actor-id`,
      );
    }
    const maxEnvs = this.config.distributed.maxEnvsPerActor;
    if (hello.numEnvs > maxEnvs) {
      throw new ProtocolError(
        'OVER_BUDGET',
        `Hello.numEnvs ${hello.numEnvs} exceeds this learner's limit of ${maxEnvs} envs per actor (distributed.maxEnvsPerActor)`,
      );
    }
    this.membership.checkShape(hello);
    this.registering.add(hello.actorId);
    let up: { puller: UploadPuller; domain: string; key?: string };
    try {
      up = await this.uploadSocket(hello.actorId);
    } finally {
      this.registering.delete(hello.actorId);
    }
    const keys = curveKeyPair();
    if (up.key) {
      this.zap!.revoke(up.domain, up.key);
      this.zap!.revoke(this.paramsDomain, up.key);
    }
    up.key = keys.publicKey;
    this.zap!.allow(up.domain, keys.publicKey);
    this.zap!.allow(this.paramsDomain, keys.publicKey);
    const a = this.membership.admit(hello, ctx);
    this.inference.recheck(); // the plan may have moved other actors away from their split point
    const contract = contractFor(this.config, this.model.spec, this.K);
    return {
      splitPoint: a.splitPoint,
      numLayers: this.K,
      paramVersion: this.model.version,
      paramsAddress: this.endpoint(this.publisher!.endpoint),
      uploadAddress: this.endpoint(up.puller.endpoint),
      learnerConfig: {
        ...contract,
        actorIndex: a.index,
        registration: a.registrations,
        curve: { serverKey: this.serverKeys!.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey },
      },
    };
  }

  private disconnect(ctx: ActorContext, details: string): void {
    const a = this.membership.leave(ctx, details, !this.running);
    this.inference.recheck();
    if (!a) return;
    // Its keys admit no new ZeroMQ connection any more.
    const up = this.uploadSockets.get(a.id);
    if (up?.key) {
      this.zap?.revoke(up.domain, up.key);
      this.zap?.revoke(this.paramsDomain, up.key);
      up.key = undefined;
    }
    this.forgetDeparted();
  }

  /** Bounded memory over a long run: departed actors beyond distributed.maxDepartedActors are forgotten. */
  private forgetDeparted(): void {
    for (const f of this.registry.forgetDeparted(this.config.distributed.maxDepartedActors)) {
      const up = this.uploadSockets.get(f.id);
      if (up) {
        this.uploadSockets.delete(f.id);
        this.zap?.forgetDomain(up.domain);
        up.puller.close().catch((e: Error) => this.opts.sink.log(`closing the upload socket of actor ${f.id} failed: ${e.message}`));
      }
      this.metrics.splitPoint.remove({ actor: f.id });
      this.metrics.actorEnvSteps.remove({ actor: f.id });
      for (const channel of ['inference', 'upload', 'params']) {
        for (const direction of ['sent', 'received']) {
          this.metrics.actorBytes.remove({ actor: f.id, channel, direction });
          this.metrics.actorBytesPerSecond.remove({ actor: f.id, channel, direction });
        }
      }
    }
  }

  private onEpisode(index: number, env: number, ret: number, length: number): void {
    this.opts.sink.episode({ ret, length, actor: this.registry.at(index)?.id ?? String(index), env });
    this.metrics.episodes.inc();
  }

  /** Backpressure (distributed.queueFull 'wait'): while the queue is full, resolves once it has room. */
  room(): Promise<void> | undefined {
    return this.full?.promise;
  }

  /** The queue is full: stop reading uploads and hold inference replies until training makes room. */
  private holdActors(): void {
    if (this.full) return;
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.full = { promise, release };
    this.heldCount++;
    for (const u of this.uploadSockets.values()) u.puller.pause();
  }

  private releaseActors(): void {
    if (!this.full) return;
    this.full.release();
    this.full = undefined;
    for (const u of this.uploadSockets.values()) u.puller.resume();
  }

  private onUnroll(u: Unroll): void {
    this.unrolls.push(u);
    const max = this.config.distributed.maxQueuedUnrolls;
    if (this.config.distributed.queueFull === 'wait') {
      if (this.unrolls.length >= max && !this.done) this.holdActors();
    }
    const excess = this.config.distributed.queueFull === 'wait' ? 0 : this.unrolls.length - max;
    if (excess > 0) {
      this.unrolls.splice(0, excess);
      this.discardedUnrolls += excess;
      this.queueFullUnrolls += excess;
      this.metrics.discardedSteps.inc({ why: 'queue_full' }, excess * this.config.hyper.unrollLength);
    }
    this.metrics.unrollQueue.set(this.unrolls.length);
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
      if (this.done) {
        this.releaseActors();
        this.discardedUnrolls += this.unrolls.length;
        this.metrics.discardedSteps.inc({ why: 'budget_reached' }, this.unrolls.length * T);
        this.unrolls.length = 0;
        continue;
      }
      const batchUnrolls = this.unrolls.splice(0, B);
      if (this.unrolls.length < this.config.distributed.maxQueuedUnrolls) this.releaseActors();
      const t0 = performance.now();
      const batch = stackUnrolls(batchUnrolls, T, this.model.numActions, this.assembler.dims.obsSize);
      let lag = 0;
      for (const u of batchUnrolls) lag += this.model.version - u.minVersion;
      const stats = this.trainStep.step(batch);
      if (stats.skipped) {
        // Weights untouched; the batch is counted as discarded so the step accounting still holds.
        this.skippedUpdates++;
        this.discardedUnrolls += B;
        this.metrics.skippedUpdates.inc();
        this.skipLog.note('learner', 'NON_FINITE', `skipped an update: loss ${stats.loss} or the gradient is not finite (${this.skippedUpdates} so far)`);
        await new Promise((r) => setImmediate(r));
        continue;
      }
      this.updates++;
      this.trainMs += performance.now() - t0;
      this.lagSum += lag / B;
      this.lagCount++;
      const busy = this.busy();
      this.metrics.policyLag.set(lag / B);
      this.metrics.frames.inc(T * B * this.trainStep.hp.actionRepeat);
      this.metrics.inferenceBusy.set(busy.inferenceBusy);
      this.metrics.trainingBusy.set(busy.trainingBusy);
      this.metrics.unrollQueue.set(this.unrolls.length);
      for (const [term, v] of [
        ['total', stats.loss],
        ['pg', stats.pgLoss],
        ['baseline', stats.baselineLoss],
        ['entropy', stats.entropyLoss],
      ] as const)
        this.metrics.loss.set({ term }, v);
      this.metrics.entropy.set(stats.entropy);
      this.metrics.learningRate.set(stats.lr);
      this.metrics.gradNorm.set(stats.gradNorm);
      if (this.updates % this.config.distributed.paramSyncEvery === 0) await this.publishParams();
      await this.opts.sink.update({ stats, updates: this.updates, policyLag: lag / B, ...busy });
      // Let queued inference requests in between updates.
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Publishes each layer on its own topic, so an actor at split point y takes only layers 1..y. */
  async publishParams(): Promise<void> {
    if (!this.publisher) return;
    this.lastPublishAt = performance.now();
    const v = this.model.version;
    for (let k = 1; k <= this.K; k++) {
      const bytes = await this.publisher.publish(paramTopic(k, k), v, [{ index: k, data: this.model.getLayerWeights(k, k) }]);
      // Counted per actor as published to its topics (layers 1..y): what its link carries.
      for (const a of this.registry.all()) if (a.ctx && a.splitPoint >= k) a.paramBytes += bytes;
    }
  }

  /**
   * Exact step accounting: every step the actors had served (by the learner or locally) is in an
   * assembled unroll, still pending, or dropped with an actor that left; every assembled step is
   * trained on, still queued, or discarded once the frame budget was reached. Counts are this
   * process's (a resumed learner starts them at 0).
   */
  stepAccounting(): StepAccounting {
    const T = this.config.hyper.unrollLength;
    const { served, dropped } = this.registry.totals();
    return {
      served,
      assembled: this.assembler.stepsAssembled,
      pending: this.assembler.pendingSteps(),
      dropped,
      duplicates: this.assembler.duplicates,
      stale: this.assembler.stale,
      trained: (this.updates - this.updatesAtStart) * this.config.hyper.batchSize * T,
      queued: this.unrolls.length * T,
      discarded: this.discardedUnrolls * T,
      discardedQueueFull: this.queueFullUnrolls * T,
    };
  }

  busy(): { inferenceBusy: number; trainingBusy: number } {
    const wall = performance.now() - this.startedAt;
    return { inferenceBusy: this.inference.busyMs / wall, trainingBusy: this.trainMs / wall };
  }

  /** Milliseconds spent in inference and in training since start (for windowed measurements). */
  busyTotals(): { inferenceMs: number; trainMs: number } {
    return { inferenceMs: this.inference.busyMs, trainMs: this.trainMs };
  }

  get policyLag(): number {
    return this.lagCount ? this.lagSum / this.lagCount : 0;
  }

  /** Bytes the learner received on the upload channel from one actor. */
  uploadBytes(actorId: string): number {
    return this.uploadSockets.get(actorId)?.puller.statsFor(actorId).snapshot().upload.receivedBytes ?? 0;
  }

  async save(): Promise<LearnerState> {
    return { weights: this.model.getLayerWeights(1, this.K), optimizer: await this.trainStep.getOptimizerState(), frames: this.frames, updates: this.updates };
  }

  /** Before start(): continue from a checkpoint's state. */
  async restore(s: LearnerState): Promise<void> {
    this.model.setLayerWeights(s.weights);
    await this.trainStep.setOptimizerState(s.optimizer);
    this.trainStep.frames = s.frames;
    this.updates = s.updates;
    this.updatesAtStart = s.updates;
  }

  /**
   * Stops training and serving. Connected actors are told the run is over (`runEnd`, e.g.
   * 'finished' or 'stopped') and exit; with null the streams are just cut, as by a crash, and actors
   * reconnect (to a restarted learner) until they give up.
   */
  async stop(runEnd: string | null = 'finished'): Promise<void> {
    this.running = false;
    this.releaseActors();
    clearInterval(this.republishTimer);
    this.wake?.();
    this.wake = null;
    await this.trainLoopDone;
    for (const a of this.registry.all()) this.registry.detach(a);
    this.inference.close();
    if (runEnd === null) await this.server?.close();
    else await this.server?.endRun(runEnd);
    this.publisher?.close();
    for (const u of this.uploadSockets.values()) await u.puller.close();
    await this.zap?.release([this.paramsDomain, ...[...this.uploadSockets.values()].map((u) => u.domain)]);
    this.zap = undefined;
  }

  /** Rejections the transport counts itself (gRPC streams and messages, ZeroMQ handshakes), as metrics. */
  private securityMetrics(): void {
    const st = this.server?.stats;
    if (st) {
      for (const [code, n] of Object.entries(st.rejectedByCode)) this.metrics.grpcRejected.set({ reason: code }, n);
      for (const [status, n] of Object.entries(st.rejectedByStatus)) this.metrics.grpcRejected.set({ reason: `status_${status}` }, n);
    }
    this.metrics.zmqAuthDenied.set(this.zmqAuthDenied);
  }

  /** ZeroMQ CURVE handshakes refused by the process's ZAP handler (all learners of the process). */
  get zmqAuthDenied(): number {
    return this.zap?.stats.denied ?? 0;
  }

  /** Partial uploads and their bytes held for one actor (for tests and metrics). */
  uploadPending(actorId: string): { partials: number; bytes: number } {
    const p = this.uploadSockets.get(actorId)?.puller;
    return { partials: p?.partialCount ?? 0, bytes: p?.counters.pendingBytes ?? 0 };
  }

  dispose(): void {
    this.trainStep.dispose();
    this.model.dispose();
  }
}
