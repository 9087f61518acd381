/**
 * An inference server (`coknight serve`): one more place where actors' tails run, for one learner.
 * It takes the learner's contract, builds the same network, holds the newest parameters of every
 * layer and the state of every feature codec the contract lists (ZeroMQ, CURVE keys from its
 * registration; coded steps are decoded with the decoder published with their encoder), serves the actors the learner assigns to it with
 * the learner's own InferenceHandler (dynamic batching, model code), and forwards each served step to
 * the learner (ServeClient, credit-window backpressure), which assembles and trains as for its own.
 *
 * Invariants: an actor is served here only while the learner has assigned it (a Hello waits for the
 * 'assign'); its 'release' goes out only after its stream here ended and every step it was served has
 * been forwarded, so the learner never takes a step of it from two places. No IO beyond sockets: the
 * run layer (run/serve.ts) owns flags, files and signals.
 */
import { makeEnv } from '../env/index.js';
import type { ActorState } from '../learner/actor-registry.js';
import { InferenceHandler, type StepSink } from '../learner/inference-handler.js';
import { SplitCodecs } from '../learner/split-codecs.js';
import type { CodecState } from '../codec/index.js';
import { LearnerMetrics } from '../metrics/learner-metrics.js';
import { createModel, createPolicyRunner, type InferenceChoice, networkSpecFromName, type PolicyModel, type PolicyRunner } from '../model/index.js';
import {
  type ActorContext,
  type ClientTls,
  type InferenceServer,
  type LearnerContract,
  ALL_PARAMS_TOPIC,
  codecKey,
  layerBlobs,
  ParamSubscriber,
  type ParamUpdate,
  readCodecStates,
  parseLearnerContract,
  ProtocolError,
  ServeClient,
  type ServerControl,
  startInferenceServer,
  type TransportError,
} from '../transport/index.js';
import { Rng } from '../util/rng.js';

/** How long a step coded with a codec version this server has not received yet waits for it. */
const CODEC_CATCH_UP_MS = 2000;

export interface ServeOptions {
  /** Learner address host:port. */
  readonly learner: string;
  readonly token: string;
  readonly serverId: string;
  /** host:port to listen on for actors (port 0: any free port). */
  readonly listen: string;
  /** Host actors reach this server at, when it differs from the listen host (e.g. 0.0.0.0). */
  readonly advertiseHost?: string;
  readonly tls?: ClientTls;
  readonly inference?: InferenceChoice;
  /** Dynamic batching, as the learner's distributed.maxBatch / maxWaitMs (defaults 64 and 2 ms). */
  readonly maxBatch?: number;
  readonly maxWaitMs?: number;
  /** Unacknowledged forwarded steps at most (default 256). */
  readonly window?: number;
  /** How long an actor's Hello waits for the learner's assignment (default 30 s). */
  readonly assignTimeoutMs?: number;
  readonly seed?: number;
  readonly log?: (m: string) => void;
}

interface Served {
  readonly actor: ActorState;
  readonly registration: number;
  forwarded: number;
  inFlight: number;
  /** The actor's stream here ended: release it once its in-flight steps are forwarded. */
  closing: boolean;
}

export class ServeRole {
  /** Env steps served and forwarded. */
  envSteps = 0;
  private readonly assigned = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();
  private readonly served = new Map<string, Served>();
  private readonly layerVersion: number[] = [];
  private server: InferenceServer | undefined;
  private client: ServeClient | undefined;
  private sub: ParamSubscriber | undefined;
  private inference: InferenceHandler | undefined;
  private runner: PolicyRunner | undefined;
  /** The feature codecs the learner's contract lists: coded steps are decoded here, as on the learner. */
  private codecs: SplitCodecs | undefined;
  private readonly codecWaiters: (() => void)[] = [];
  private endedWith: TransportError | undefined;
  private endWaiters: ((e: TransportError) => void)[] = [];
  private readonly log: (m: string) => void;

  private constructor(
    private readonly opts: ServeOptions,
    readonly model: PolicyModel,
    readonly contract: LearnerContract,
  ) {
    this.log = opts.log ?? (() => undefined);
  }

  /** Builds the network from the learner's contract, listens for actors, registers with the learner and waits for every layer. */
  static async start(opts: ServeOptions, contractReply: { learnerConfig?: Record<string, unknown> }): Promise<ServeRole> {
    const c = parseLearnerContract(contractReply.learnerConfig);
    const probe = makeEnv(c.env.id, { ...c.env, seed: 0 });
    const model = createModel(networkSpecFromName(c.model, 'learner contract'), {
      inputShape: probe.observationShape as [number, number, number],
      numActions: probe.numActions,
    });
    const role = new ServeRole(opts, model, c);
    try {
      await role.open(c);
    } catch (e) {
      await role.close();
      throw e;
    }
    return role;
  }

  /** host:port actors reach this server at. */
  get address(): string {
    const a = this.server?.address ?? '';
    return this.opts.advertiseHost ? `${this.opts.advertiseHost}:${a.slice(a.lastIndexOf(':') + 1)}` : a;
  }

  /** Resolves when the learner link ends (the run is over, or the learner is gone). */
  ended(): Promise<TransportError> {
    if (this.endedWith) return Promise.resolve(this.endedWith);
    return new Promise((r) => this.endWaiters.push(r));
  }

  get runnerDetail(): string {
    return this.runner?.detail ?? '';
  }

  private async open(c: LearnerContract): Promise<void> {
    const K = this.model.K;
    if (c.numLayers !== K) throw new Error(`learner reports K=${c.numLayers} layers but the ${c.model} network here has ${K}`);
    this.codecs = c.codecs && Object.keys(c.codecs).length > 0 ? SplitCodecs.fromContract(this.model, c.codecs) : undefined;
    this.runner = createPolicyRunner(this.model, this.opts.inference ?? 'auto', { log: this.log });
    const sink: StepSink = { request: () => undefined, served: (a, req, res, v) => this.forward(a, req, res, v) };
    const rng = new Rng((this.opts.seed ?? c.seed) * 31 + 11);
    const streamsAt = (y: number): number => {
      let n = 0;
      for (const s of this.served.values()) if (s.actor.splitPoint === y && !s.closing) n++;
      return n;
    };
    // Learner-side metrics are the learner's: this registry only feeds the handler's batch histogram.
    this.inference = new InferenceHandler(
      this.model,
      sink,
      new LearnerMetrics(),
      rng,
      { maxBatch: this.opts.maxBatch ?? 64, maxWaitMs: this.opts.maxWaitMs ?? 2, streamsAt, room: () => this.client?.room() },
      this.runner,
      this.codecs,
    );
    this.server = await startInferenceServer({
      address: this.opts.listen,
      token: this.opts.token,
      handler: {
        register: (hello, ctx) => this.admit(hello.actorId, hello.numEnvs, hello.splitPoint, ctx),
        step: (req, ctx) => this.step(req, ctx),
        disconnect: (ctx) => this.actorLeft(ctx.actorId),
      },
      activationShape: (y) => (y > 0 && y < K ? this.model.layers[y - 1].outShape : undefined),
    });
    const { client, reply } = await ServeClient.connect({
      learner: this.opts.learner,
      token: this.opts.token,
      serverId: this.opts.serverId,
      address: this.address,
      tls: this.opts.tls,
      window: this.opts.window,
      onControl: (m) => this.control(m),
      onEnd: (e) => this.linkEnded(e),
    });
    this.client = client;
    const curve = parseLearnerContract(reply.learnerConfig).curve;
    this.sub = ParamSubscriber.connect({ address: reply.paramsAddress, topic: ALL_PARAMS_TOPIC, curve, onUpdate: (u) => this.applyUpdate(u) });
    await this.sub.waitForVersion(0, 60_000);
    this.log(
      `inference server ${this.opts.serverId} serving for ${this.opts.learner} at ${this.address} (${c.env.id}, ${c.model} K=${K}, ${this.runner.detail})`,
    );
  }

  /** All K layers and every codec's state (a bad codec state is logged and skipped: the previous one stays). */
  private applyUpdate(u: ParamUpdate): void {
    for (const l of layerBlobs(u)) {
      if ((this.layerVersion[l.index] ?? -1) >= u.version) continue;
      this.model.setLayerWeights(l.data);
      this.layerVersion[l.index] = u.version;
    }
    // The tail's age is that of its oldest layer (what the learner's V-trace and policy lag need).
    let v = Infinity;
    for (let k = 1; k <= this.model.K; k++) v = Math.min(v, this.layerVersion[k] ?? 0);
    this.model.version = v;
    if (!this.codecs) return;
    let states: Map<string, unknown>;
    try {
      states = readCodecStates(u);
    } catch (e) {
      this.log(`ignored the codec states of parameters v${u.version}: ${(e as Error).message}`);
      states = new Map();
    }
    for (const { y, codec } of this.codecs.all()) {
      const state = states.get(codecKey(y, codec.spec.id));
      if (!state) continue;
      try {
        this.codecs.load(y, codec.spec.id, state as CodecState);
      } catch (e) {
        this.log(`ignored a codec state for "${codec.spec.id}" at split point ${y}: ${(e as Error).message}`);
      }
    }
    // Steps coded with a codec version this server had not received yet wait for it (CODEC_CATCH_UP_MS).
    for (const w of this.codecWaiters.splice(0)) w();
  }

  /**
   * An actor may take a codec state from the learner before this server does (each subscriber gets
   * its copy on its own): a step coded with a newer version than held waits for it, up to
   * CODEC_CATCH_UP_MS, instead of being refused. Past that the handler refuses it as the learner would.
   */
  private async codecCaughtUp(y: number, id: string, version: number): Promise<void> {
    const deadline = performance.now() + CODEC_CATCH_UP_MS;
    for (;;) {
      const held = this.codecs?.at(y, id);
      if (!held || held.version >= version || performance.now() >= deadline) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - performance.now()));
        this.codecWaiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  private control(m: ServerControl): void {
    if (m.op === 'assign') {
      this.assigned.set(m.actorId, m.value);
      this.waiting.get(m.actorId)?.();
    } else if (m.op === 'unassign') this.assigned.delete(m.actorId);
  }

  private async admit(actorId: string, numEnvs: number, splitPoint: number, ctx: ActorContext) {
    if (!this.assigned.has(actorId)) {
      const timeoutMs = this.opts.assignTimeoutMs ?? 30_000;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          this.waiting.delete(actorId);
          reject(
            new ProtocolError(
              'UNKNOWN_ACTOR',
              `actor "${actorId}" was not assigned to inference server ${this.opts.serverId} within ${timeoutMs} ms: the learner assigns actors`,
            ),
          );
        }, timeoutMs);
        this.waiting.set(actorId, () => {
          clearTimeout(t);
          this.waiting.delete(actorId);
          resolve();
        });
      });
    }
    const actor: ActorState = {
      id: actorId,
      index: 0,
      ctx,
      splitPoint,
      codec: '',
      unknownCodecSteps: 0,
      codecTraffic: {},
      numEnvs,
      stepsServed: 0,
      framesUploaded: 0,
      stepsLocal: 0,
      droppedSteps: 0,
      registrations: 1,
      paramBytes: 0,
    };
    this.served.set(actorId, { actor, registration: this.assigned.get(actorId)!, forwarded: 0, inFlight: 0, closing: false });
    this.inference!.recheck();
    return { splitPoint, numLayers: this.model.K, paramVersion: this.model.version, paramsAddress: '', uploadAddress: '' };
  }

  private async step(req: Parameters<InferenceHandler['step']>[1], ctx: ActorContext) {
    const s = this.served.get(ctx.actorId);
    if (!s || s.actor.ctx !== ctx) throw new ProtocolError('UNKNOWN_ACTOR', `actor "${ctx.actorId}" is not registered on this stream`);
    // The learner decides split points and codecs; this server serves whichever the actor uses (and
    // so never tells it to move: the handler's reply would otherwise send it back to float32).
    s.actor.splitPoint = req.splitPoint;
    s.actor.codec = req.dtype === 'coded' ? (req.codec?.id ?? '') : '';
    s.inFlight++;
    try {
      if (req.dtype === 'coded' && req.codec) await this.codecCaughtUp(req.splitPoint, req.codec.id, req.codec.version);
      return await this.inference!.step(s.actor, req);
    } finally {
      s.inFlight--;
      this.maybeRelease(s);
    }
  }

  private forward(a: ActorState, req: Parameters<StepSink['served']>[1], res: Parameters<StepSink['served']>[2], version: number): void {
    const s = this.served.get(a.id);
    if (!s || s.actor !== a || !this.client) return;
    this.client.forward({
      actorId: a.id,
      registration: s.registration,
      stepId: req.stepId,
      splitPoint: req.splitPoint,
      behaviourVersion: version,
      numEnvs: req.numEnvs,
      numActions: res.numActions,
      obs: req.splitPoint === 0 ? (req.payload as Uint8Array) : new Uint8Array(0),
      rewards: req.rewards,
      dones: req.dones,
      actions: res.actions,
      logits: res.logits,
    });
    s.forwarded++;
    this.envSteps += req.numEnvs;
  }

  private actorLeft(actorId: string): void {
    const s = this.served.get(actorId);
    if (!s) return;
    s.closing = true;
    this.inference?.recheck();
    this.maybeRelease(s);
  }

  private maybeRelease(s: Served): void {
    if (!s.closing || s.inFlight > 0 || this.served.get(s.actor.id) !== s) return;
    this.served.delete(s.actor.id);
    this.client?.release(s.actor.id, s.forwarded);
  }

  private linkEnded(e: TransportError): void {
    if (this.endedWith) return;
    this.endedWith = e;
    this.log(e.runEnded !== undefined ? `the learner ended the run (${e.runEnded})` : `lost the learner: ${e.message}`);
    for (const w of this.endWaiters.splice(0)) w(e);
  }

  /** Stops serving: with `runEnd`, the actors here are told the run is over; without, their streams are cut (they go back to the learner). */
  async close(runEnd?: string): Promise<void> {
    this.inference?.close();
    if (this.server) {
      if (runEnd !== undefined) await this.server.endRun(runEnd, 1000);
      else await this.server.close();
    }
    this.client?.close();
    await this.sub?.close();
    this.inference?.dispose();
    this.codecs?.dispose();
    this.model.dispose();
  }
}
