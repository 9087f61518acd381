/**
 * The learner: a gRPC inference server (InferenceHandler: dynamic batching per split point, tail
 * layers on the learner's network), ZeroMQ parameter publisher and upload puller (UploadIntake), the
 * trajectory assembler, the unroll queue and the V-trace train loop. One code path for every mode;
 * the split planner only picks split points. No IO of its own: files, processes and the screen are
 * run/'s, reached through a LearnerSink; save()/restore() hand state to and from a checkpoint.
 */
import type { RunConfig } from '../config/schema.js';
import { type LearnerMetrics } from '../metrics/learner-metrics.js';
import type { PolicyModel } from '../model/index.js';
import { type ActorContext, type Hello, type InferenceServer, ProtocolError, type RegisterResult, startInferenceServer } from '../transport/index.js';
import type { ActorRegistry } from './actor-registry.js';
import { buildLearnerParts, type LearnerParts } from './learner-parts.js';
import { UnrollQueue } from './unroll-queue.js';
import { SecureChannels } from './channels.js';
import { stackUnrolls } from './batch.js';
import { type InferenceHandler } from './inference-handler.js';
import { type Membership } from './membership.js';
import { contractFor } from './setup.js';
import { publishParams } from './publish.js';
import type { SplitCodecs } from './split-codecs.js';
import type { SplitPlanner } from './split-planner.js';
import type { Trainer } from './trainer.js';
import { type TrajectoryAssembler, type Unroll } from './trajectory-assembler.js';
import { RejectLog, type UploadIntake } from './upload-intake.js';
import { ServerPool } from './server-pool.js';
import { MultiServerPlanner, replanReporter } from './multi-server-planner.js';
import type { PlanChange } from './planner-types.js';

const REPUBLISH_MS = 500;

import type { LearnerOptions, LearnerState, StepAccounting } from './learner-types.js';

export type { LearnerOptions, LearnerState, StepAccounting };

export class Learner {
  /** Updates done, over the whole run (restored on resume). */
  updates = 0;
  /** Updates done before this process restored a checkpoint (for step accounting). */
  private updatesAtStart = 0;
  private readonly queue: UnrollQueue;
  /** Train steps skipped for a non-finite loss or gradient. */
  skippedUpdates = 0;
  private readonly skipLog = new RejectLog((_a, _r, m) => this.opts.sink.log(m));
  private trainMs = 0;
  private lagSum = 0;
  private lagCount = 0;
  private readonly startedAt = performance.now();
  private lastPublishAt = 0;
  private running = false;
  private trainLoopDone: Promise<void> = Promise.resolve();
  private republishTimer: ReturnType<typeof setInterval> | undefined;
  private server: InferenceServer | undefined;
  private channels: SecureChannels | undefined;
  private advertise = '127.0.0.1';

  readonly metrics: LearnerMetrics;
  readonly registry: ActorRegistry;
  readonly model: PolicyModel;
  readonly planner: SplitPlanner;
  /** Learner FLOP/s measured on its own network at start-up (the cost model's f_e). */
  readonly edgeFlops: number;
  readonly assembler: TrajectoryAssembler;
  readonly intake: UploadIntake;
  readonly inference: InferenceHandler;
  /** Inference servers (`coknight serve`) and which one serves each actor. */
  readonly servers: ServerPool;
  private readonly trainStep: Trainer;
  private readonly membership: Membership;
  /** Feature codecs per split point (distributed.codec). */
  readonly codecs: SplitCodecs;

  private constructor(
    private readonly opts: LearnerOptions,
    p: LearnerParts,
  ) {
    ({ metrics: this.metrics, registry: this.registry, model: this.model, planner: this.planner, edgeFlops: this.edgeFlops } = p);
    ({ assembler: this.assembler, intake: this.intake, inference: this.inference, trainStep: this.trainStep, membership: this.membership } = p);
    this.codecs = p.codecs;
    const d = opts.config.distributed;
    const h = opts.config.hyper;
    const plan =
      this.planner instanceof MultiServerPlanner
        ? {
            planner: this.planner,
            applySplits: (ch: readonly PlanChange[]) => {
              this.membership.apply(ch);
              this.inference.recheck(); // as after a join: batches waiting on an actor that changed split
            },
          }
        : undefined;
    if (plan) plan.planner.onReplan = replanReporter(p.metrics, opts.sink);
    const hooks = {
      contract: (id: string) => this.serverContract(id),
      revoke: (id: string) => this.channels?.revokeSubscriber(id),
      room: () => this.room(),
      ...(plan ? { plan } : {}),
    };
    this.servers = new ServerPool(p.registry, p.intake, p.metrics, opts.sink, hooks, d.serverAssign);
    this.queue = new UnrollQueue(d.maxQueuedUnrolls, h.batchSize, d.queueFull, h.unrollLength, p.metrics, (held) => this.channels?.setPaused(held));
  }

  /** Builds the network, optimizer, planner and data path (nothing listens until start()). */
  static async create(opts: LearnerOptions): Promise<Learner> {
    const ref: { learner?: Learner } = {};
    const parts = await buildLearnerParts(opts, {
      onUnroll: (u) => ref.learner!.onUnroll(u),
      onEpisode: (index, env, ret, length) => ref.learner!.onEpisode(index, env, ret, length),
      room: () => ref.learner?.room(),
    });
    ref.learner = new Learner(opts, parts);
    return ref.learner;
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

  /** Where updates run: 'main' or 'worker' (trainThread). */
  get trainThread(): 'main' | 'worker' {
    return this.trainStep.thread;
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
    this.advertise = d.advertiseHost ?? (zmqHost === '*' ? '127.0.0.1' : host);
    try {
      // ZeroMQ channels are CURVE-encrypted, and only keys handed out at registration get through.
      this.channels = await SecureChannels.open(zmqHost, this.intake, d.maxPendingUploadBytes);
      this.server = await startInferenceServer({
        address: d.listen,
        token: this.opts.token,
        tls: this.opts.tls,
        handler: {
          contract: () => this.contractReply(),
          register: (hello, ctx) => this.register(hello, ctx),
          step: async (req, ctx) => {
            const a = this.registry.live(ctx);
            if (!a) throw new ProtocolError('UNKNOWN_ACTOR', `actor "${ctx.actorId}" is not registered on this stream`);
            const moving = this.servers.gate(a.id); // back from a server: its last steps first
            if (moving) await moving;
            return this.inference.step(a, req);
          },
          disconnect: (ctx, _code, details) => this.disconnect(ctx, details),
        },
        serve: this.servers.handler(),
        activationShape: (y) => (y > 0 && y < this.K ? this.model.layers[y - 1].outShape : undefined),
        maxConnections: d.maxConnections,
        connectionIdleMs: d.connectionIdleMs,
      });
    } catch (e) {
      // Release whatever did bind (a busy gRPC port must not leave the ZeroMQ ports held).
      this.inference.close();
      await this.channels?.close();
      this.channels = undefined;
      throw e;
    }
    this.running = true;
    this.trainLoopDone = this.trainLoop();
    await this.publishParams();
    // PUB/SUB drops messages for subscribers still connecting ("slow joiners"), and an actor that
    // just joined may be the only source of data: republish whenever no update has gone out lately.
    this.republishTimer = setInterval(() => {
      this.metrics.recordTransport(this.server?.stats, this.zmqAuthDenied);
      if (performance.now() - this.lastPublishAt >= REPUBLISH_MS) {
        this.publishParams().catch((e: Error) => this.opts.sink.log(`parameter republish failed: ${e.message}`));
      }
    }, REPUBLISH_MS);
  }

  private endpoint(socketEndpoint: string): string {
    // zeromq reports e.g. tcp://0.0.0.0:41234: keep the port, use the advertised host.
    return `tcp://${this.advertise}:${socketEndpoint.slice(socketEndpoint.lastIndexOf(':') + 1)}`;
  }

  /** The Contract call's reply: what the learner trains, and for actors that plan for themselves, what they plan from. */
  private contractReply(): RegisterResult {
    const c = this.baseContract();
    const planning = this.planner.planningContext?.();
    return planning ? { ...c, learnerConfig: { ...c.learnerConfig, planning } } : c;
  }

  private baseContract(): RegisterResult {
    return {
      splitPoint: 0,
      numLayers: this.K,
      paramVersion: this.model.version,
      paramsAddress: '',
      uploadAddress: '',
      learnerConfig: contractFor(this.config, this.model.spec, this.K, this.codecs.table()),
    };
  }

  /** An inference server's registration: the contract, the parameter endpoint and its own CURVE keys. */
  private serverContract(serverId: string): RegisterResult {
    const c = this.baseContract();
    const curve = this.channels!.subscriber(serverId);
    return { ...c, paramsAddress: this.endpoint(this.channels!.publisher.endpoint), learnerConfig: { ...c.learnerConfig, curve } };
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
    this.membership.precheck(hello, ctx, this.config.distributed.maxEnvsPerActor);
    this.membership.checkShape(hello);
    this.membership.registering.add(hello.actorId);
    let up: Awaited<ReturnType<SecureChannels['register']>>;
    try {
      up = await this.channels!.register(hello.actorId);
    } finally {
      this.membership.registering.delete(hello.actorId);
    }
    const a = this.membership.admit(hello, ctx);
    this.servers.joined(a);
    this.inference.recheck(); // the plan may have moved other actors away from their split point
    const contract = contractFor(this.config, this.model.spec, this.K, this.codecs.table());
    return {
      splitPoint: a.splitPoint,
      ...(a.codec ? { codec: a.codec } : {}),
      numLayers: this.K,
      paramVersion: this.model.version,
      paramsAddress: this.endpoint(this.channels!.publisher.endpoint),
      uploadAddress: this.endpoint(up.uploadEndpoint),
      learnerConfig: { ...contract, actorIndex: a.index, registration: a.registrations, curve: up.keys },
    };
  }

  private disconnect(ctx: ActorContext, details: string): void {
    const a = this.membership.leave(ctx, details, !this.running);
    this.inference.recheck();
    if (!a) return;
    this.servers.left(a.id);
    this.channels?.revoke(a.id); // its keys admit no new ZeroMQ connection any more
    this.forgetDeparted();
  }

  /** Bounded memory over a long run: departed actors beyond distributed.maxDepartedActors are forgotten. */
  private forgetDeparted(): void {
    for (const f of this.registry.forgetDeparted(this.config.distributed.maxDepartedActors)) {
      this.channels?.forget(f.id, (m) => this.opts.sink.log(m));
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

  /**
   * Moves one actor to split point y (with the learner's codec there, or `codec`), as a plan change
   * would: it hears of it on its stream and switches between two steps. For operators and tests; the
   * planner is not told, so its next plan may move the actor again.
   */
  moveActor(actorId: string, splitPoint: number, codec?: string): void {
    if (!Number.isInteger(splitPoint) || splitPoint < 0 || splitPoint > this.K)
      throw new RangeError(`moveActor: splitPoint must be 0..${this.K}, got ${splitPoint}`);
    if (!this.registry.get(actorId)?.ctx) throw new Error(`moveActor: no connected actor "${actorId}"`);
    this.membership.apply([{ actorId, splitPoint, ...(codec !== undefined ? { codec } : {}) }]);
    this.inference.recheck();
  }

  /** Backpressure (distributed.queueFull 'wait'): while the queue is full, resolves once it has room. */
  room(): Promise<void> | undefined {
    return this.queue.room();
  }

  /** How often a full unroll queue held the actors back. */
  get heldCount(): number {
    return this.queue.holds;
  }

  private onUnroll(u: Unroll): void {
    this.queue.push(u, !this.done);
  }

  private async trainLoop(): Promise<void> {
    const { batchSize: B, unrollLength: T } = this.config.hyper;
    while (this.running) {
      if (this.queue.length < B) {
        await this.queue.ready();
        continue;
      }
      if (this.done) {
        this.queue.discardAll();
        continue;
      }
      const batchUnrolls = this.queue.take();
      const t0 = performance.now();
      const batch = stackUnrolls(batchUnrolls, T, this.model.numActions, this.assembler.dims.obsSize);
      let lag = 0;
      for (const u of batchUnrolls) lag += this.model.version - u.minVersion;
      const stats = await this.trainStep.step(batch);
      if (stats.skipped) {
        // Weights untouched; the batch is counted as discarded so the step accounting still holds.
        this.skippedUpdates++;
        this.queue.discarded += B;
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
      this.metrics.recordUpdate(stats, { policyLag: lag / B, frames: T * B * this.trainStep.hp.actionRepeat, ...busy });
      if (this.updates % this.config.distributed.paramSyncEvery === 0) await this.publishParams();
      await this.opts.sink.update({ stats, updates: this.updates, policyLag: lag / B, ...busy });
      // Let queued inference requests in between updates.
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Publishes the layers and codec states (publish.ts). */
  async publishParams(): Promise<void> {
    if (!this.channels) return;
    this.lastPublishAt = performance.now();
    await publishParams(this.channels, this.model, this.registry, this.codecs, this.servers.size);
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
      queued: this.queue.length * T,
      discarded: this.queue.discarded * T,
      discardedQueueFull: this.queue.queueFull * T,
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
    return this.channels?.uploadBytes(actorId) ?? 0;
  }

  async save(): Promise<LearnerState> {
    return {
      weights: await this.model.getLayerWeights(1, this.K),
      optimizer: await this.trainStep.getOptimizerState(),
      frames: this.frames,
      updates: this.updates,
      ...(await this.trainStep.saveCodecs()),
    };
  }

  /** Before start(): continue from a checkpoint's state. */
  async restore(s: LearnerState): Promise<void> {
    this.model.setLayerWeights(s.weights);
    this.trainStep.weightsChanged();
    await this.trainStep.setOptimizerState(s.optimizer);
    await this.trainStep.restoreCodecs(s);
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
    this.queue.release();
    clearInterval(this.republishTimer);
    this.queue.wakeUp();
    await this.trainLoopDone;
    for (const a of this.registry.all()) this.registry.detach(a);
    this.inference.close();
    if (runEnd === null) await this.server?.close();
    else await this.server?.endRun(runEnd);
    await this.channels?.close();
  }

  /** ZeroMQ CURVE handshakes refused by the process's ZAP handler (all learners of the process). */
  get zmqAuthDenied(): number {
    return this.channels?.authDenied ?? 0;
  }

  /** Partial uploads and their bytes held for one actor (for tests and metrics). */
  uploadPending(actorId: string): { partials: number; bytes: number } {
    return this.channels?.uploadPending(actorId) ?? { partials: 0, bytes: 0 };
  }

  dispose(): void {
    this.inference.dispose();
    this.trainStep.dispose();
    this.codecs.dispose();
    this.model.dispose();
  }
}
