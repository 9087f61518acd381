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
import { ActorRegistry, type ActorState } from './actor-registry.js';
import { stackUnrolls } from './batch.js';
import { InferenceHandler } from './inference-handler.js';
import { contractFor, learnerHyperFromConfig, modelSpecFor, trainingEnvOptions } from './setup.js';
import type { LearnerSink } from './sink.js';
import type { PlanChange, SplitPlanner } from './split-planner.js';
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
    const inference = new InferenceHandler(model, intake, assembler, metrics, new Rng(c.seed * 31 + 7), c.distributed);
    const learner = new Learner(opts, metrics, registry, model, trainStep, opts.planner(model, edgeFlops), edgeFlops, assembler, intake, inference);
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
    u = { puller, domain };
    this.uploadSockets.set(actorId, u);
    return u;
  }

  private async register(hello: Hello, ctx: ActorContext): Promise<RegisterResult> {
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
    this.checkShape(hello);
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
    const r = this.registerChecked(hello, ctx);
    return {
      ...r,
      uploadAddress: this.endpoint(up.puller.endpoint),
      learnerConfig: { ...r.learnerConfig, curve: { serverKey: this.serverKeys!.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey } },
    };
  }

  private checkShape(hello: Hello): void {
    const shape = this.model.inputShape;
    if (hello.obsShape.join('x') !== shape.join('x') || hello.numActions !== this.model.numActions) {
      throw new ProtocolError(
        'BAD_SHAPE',
        `actor "${hello.actorId}" runs observations [${hello.obsShape.join(', ')}] with ${hello.numActions} actions, but this learner trains ` +
          `${this.config.env.id} ([${shape.join(', ')}], ${this.model.numActions} actions): start the actor without --env (it then takes the learner's)`,
      );
    }
  }

  private registerChecked(hello: Hello, ctx: ActorContext): RegisterResult & { learnerConfig: Record<string, unknown> } {
    const { actor: a, returning } = this.registry.register(hello.actorId, hello.numEnvs, ctx);
    if (returning) {
      // A reconnecting actor restarts its envs and step ids: forget its unfinished unrolls.
      a.droppedSteps += this.assembler.dropActor(a.index);
      this.planner.leave(a.id);
    }
    const plan = this.planner.join(hello.actorId, hello);
    a.splitPoint = plan.splitPoint;
    this.applyChanges(plan.changes, a.id);
    this.planChanged(a);
    this.opts.sink.log(`actor ${a.id} joined (${hello.numEnvs} envs, peer ${ctx.peer}) at split point ${a.splitPoint}/${this.K}`);
    this.opts.sink.event({ event: 'join', actor: a.id, splitPoint: a.splitPoint, plan: this.planner.describe() });
    const contract = contractFor(this.config, this.model.spec, this.K);
    return {
      splitPoint: a.splitPoint,
      numLayers: this.K,
      paramVersion: this.model.version,
      paramsAddress: this.endpoint(this.publisher!.endpoint),
      uploadAddress: '',
      learnerConfig: { ...contract, actorIndex: a.index, registration: a.registrations },
    };
  }

  private applyChanges(changes: readonly PlanChange[], except: string): void {
    for (const ch of changes) {
      if (ch.actorId === except) continue;
      const other = this.registry.get(ch.actorId);
      if (!other?.ctx || other.splitPoint === ch.splitPoint) continue;
      other.splitPoint = ch.splitPoint;
      other.ctx.push({ type: 'SplitPointChange', splitPoint: ch.splitPoint, fromStepId: 0, reason: 'partition plan changed' });
      this.metrics.splitPoint.set({ actor: other.id }, ch.splitPoint);
      this.opts.sink.log(`actor ${other.id} moves to split point ${ch.splitPoint}`);
    }
  }

  /** Metrics of the current plan: split points, connected actors, budget use (where the planner has budgets). */
  private planChanged(a: ActorState): void {
    this.metrics.splitPoint.set({ actor: a.id }, a.splitPoint);
    this.metrics.actorsConnected.set(this.registry.connectedCount());
    const budgets = this.planner.describe().budgets;
    for (const r of ['compute', 'bandwidth'] as const) {
      const b = budgets?.[r];
      if (b && b.budget > 0) this.metrics.budgetUsed.set({ resource: r }, b.used / b.budget);
    }
  }

  private disconnect(ctx: ActorContext, details: string): void {
    const a = this.registry.live(ctx);
    if (!a) return;
    this.registry.detach(a);
    a.droppedSteps += this.assembler.dropActor(a.index);
    // Its keys admit no new ZeroMQ connection any more.
    const up = this.uploadSockets.get(a.id);
    if (up?.key) {
      this.zap?.revoke(up.domain, up.key);
      this.zap?.revoke(this.paramsDomain, up.key);
      up.key = undefined;
    }
    this.applyChanges(this.planner.leave(a.id), a.id);
    this.planChanged(a);
    if (this.running) this.opts.sink.log(`actor ${a.id} left (${details})`);
    this.opts.sink.event({ event: 'leave', actor: a.id, details });
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
      for (const channel of ['inference', 'upload']) {
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
      if (this.done) {
        this.discardedUnrolls += this.unrolls.length;
        this.unrolls.length = 0;
        continue;
      }
      const batchUnrolls = this.unrolls.splice(0, B);
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
    for (let k = 1; k <= this.K; k++) await this.publisher.publish(paramTopic(k, k), v, [{ index: k, data: this.model.getLayerWeights(k, k) }]);
  }

  /**
   * Exact step accounting: every step the actors had served (by the learner or locally) is in an
   * assembled unroll, still pending, or dropped with an actor that left; every assembled step is
   * trained on, still queued, or discarded once the frame budget was reached. Counts are this
   * process's (a resumed learner starts them at 0).
   */
  stepAccounting(): Record<string, number> {
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

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.republishTimer);
    this.wake?.();
    this.wake = null;
    await this.trainLoopDone;
    for (const a of this.registry.all()) this.registry.detach(a);
    this.inference.close();
    await this.server?.close();
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
