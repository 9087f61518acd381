import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { makeEnv, VectorEnv, type MakeEnvOptions } from '../env/index.js';
import { sampleFromLogits } from '../learner/sampling.js';
import { createModel, type PolicyModel } from '../model/index.js';
import type { NetworkSpec } from '../model/networks.js';
import {
  ParamSubscriber,
  TransportError,
  UploadPusher,
  connectInference,
  makeLink,
  paramTopic,
  type InferenceClient,
  type Link,
  type RegisterReply,
} from '../transport/index.js';
import { encodeStepBlock, type BlockStep } from '../transport/wire/index.js';
import { Rng } from '../util/rng.js';

export interface ActorOptions {
  /** Learner address host:port. */
  learner: string;
  token: string;
  actorId: string;
  numEnvs: number;
  envId: string;
  envOptions?: Omit<MakeEnvOptions, 'seed'>;
  seed: number;
  /** Link cap for every byte this actor sends and receives ('10MB/s', bytes/s, or 'unlimited'). */
  bandwidth?: string | number;
  /** PEM of the CA that signed the learner's certificate (enables TLS). */
  tlsCaFile?: string;
  /** Device profile sent with Hello (the partition planner reads flops and linkBytesPerSec). */
  profile?: Record<string, unknown>;
  /** Share a link (pacers and byte counters) with other actor streams of this process. */
  link?: Link;
  /** Stop after this many steps (tests); default: run until stopped. */
  maxSteps?: number;
  log?: (msg: string) => void;
}

export interface ActorStats {
  steps: number;
  envSteps: number;
  reconnects: number;
  splitPoint: number;
  splitChanges: number;
  /** Seconds from the first step to the end. */
  wallSeconds: number;
  bytes: ReturnType<Link['stats']['snapshot']>;
}

/**
 * An actor process's work: many environments stepped together, the head layers 1..y on local
 * parameters, the inference stream to the learner, and the asynchronous parts (parameters in,
 * observations/unrolls out). At y = K it runs the whole network itself (IMPALA) and only uploads.
 * The split point can change between any two steps; the outcome of step t−1 always travels with
 * step t's data, so no step is lost or counted twice when it does.
 */
export class Actor {
  readonly link: Link;
  private client!: InferenceClient;
  private sub: ParamSubscriber | null = null;
  private subscribedUpTo = 0;
  private subscribedParamsAddress = '';
  private pusher!: UploadPusher;
  private model!: PolicyModel;
  private env!: VectorEnv;
  private K = 0;
  private splitPoint = 0;
  private wantedSplit = 0;
  private registration!: RegisterReply;
  private block: BlockStep[] = [];
  private uploadsInFlight: Promise<number>[] = [];
  private readonly rng: Rng;
  private readonly log: (msg: string) => void;
  private stopping = false;
  private readonly layerVersion: number[] = [];
  readonly stats: ActorStats;

  constructor(readonly opts: ActorOptions) {
    this.link = opts.link ?? makeLink(opts.bandwidth ?? 'unlimited');
    this.rng = new Rng(opts.seed * 104729 + 13);
    this.log = opts.log ?? ((m) => console.error(`[actor ${opts.actorId}] ${m}`));
    this.stats = { steps: 0, envSteps: 0, reconnects: 0, splitPoint: 0, splitChanges: 0, wallSeconds: 0, bytes: this.link.stats.snapshot() };
  }

  stop(): void {
    this.stopping = true;
  }

  async run(): Promise<ActorStats> {
    const o = this.opts;
    const probe = makeEnv(o.envId, { ...o.envOptions, seed: 0 });
    const obsShape = [...probe.observationShape];
    this.client = connectInference({
      address: o.learner,
      token: o.token,
      hello: { actorId: o.actorId, numEnvs: o.numEnvs, obsShape, numActions: probe.numActions, splitPoint: 0, profile: o.profile },
      tls: o.tlsCaFile ? { ca: readFileSync(o.tlsCaFile) } : undefined,
      link: this.link,
      seed: o.seed,
      onSplitPointChange: (m) => {
        this.wantedSplit = m.splitPoint;
      },
      onStateChange: (s, detail) => {
        if (s === 'backoff' || s === 'failed') this.log(`link to learner: ${s} (${detail})`);
      },
    });
    try {
      await this.connect();
      this.env = new VectorEnv(o.envId, o.numEnvs, { ...o.envOptions, seed: o.seed });
      await this.loop();
    } finally {
      await Promise.allSettled(this.uploadsInFlight);
      this.client.close();
      await this.sub?.close();
      this.pusher?.close();
      this.model?.dispose();
      this.stats.bytes = this.link.stats.snapshot();
    }
    return this.stats;
  }

  private async connect(): Promise<void> {
    this.registration = await this.client.ready();
    const r = this.registration;
    const cfg = r.learnerConfig ?? {};
    if (!this.model) {
      const probe = makeEnv(this.opts.envId, { ...this.opts.envOptions, seed: 0 });
      this.model = createModel(String(cfg.model) as NetworkSpec, {
        inputShape: probe.observationShape as [number, number, number],
        numActions: probe.numActions,
      });
      this.K = this.model.K;
      if (r.numLayers !== this.K) throw new Error(`learner reports K=${r.numLayers} layers but the ${String(cfg.model)} network here has ${this.K}`);
    }
    // A restarted learner has new ZeroMQ endpoints and may resume from an older parameter version:
    // subscribe afresh and accept whatever version it publishes.
    if (this.sub && this.subscribedParamsAddress !== r.paramsAddress) {
      await this.sub.close();
      this.sub = null;
      this.subscribedUpTo = 0;
    }
    this.subscribedParamsAddress = r.paramsAddress;
    this.layerVersion.length = 0;
    this.pusher?.close();
    this.pusher = UploadPusher.connect({ address: r.uploadAddress, actorId: this.opts.actorId, stats: this.link.stats, pacer: this.link.up });
    this.wantedSplit = r.splitPoint;
    this.splitPoint = -1;
    await this.switchSplit(r.splitPoint);
  }

  /** Subscribes to layers 1..y (all K at y = K) and waits until it holds all of them. */
  private async switchSplit(y: number): Promise<void> {
    const need = y;
    if (need !== this.subscribedUpTo) {
      await this.sub?.close();
      this.sub = null;
      this.subscribedUpTo = need;
      if (need > 0) {
        const topics = Array.from({ length: need }, (_, i) => paramTopic(i + 1, i + 1));
        this.sub = ParamSubscriber.connect({ address: this.registration.paramsAddress, topics, stats: this.link.stats, pacer: this.link.down });
      }
    }
    for (let k = 1; k <= need; k++) {
      const topic = paramTopic(k, k);
      const u = await this.sub!.waitForVersion(topic, this.layerVersion[k] ?? 0, 60_000);
      this.applyUpdate(u);
    }
    if (this.splitPoint !== -1 && this.splitPoint !== y) this.stats.splitChanges++;
    this.splitPoint = y;
    this.stats.splitPoint = y;
  }

  private applyUpdate(u: { version: number; layers: { index: number; data: Uint8Array }[] }): void {
    for (const l of u.layers) {
      if ((this.layerVersion[l.index] ?? -1) >= u.version) continue;
      this.model.setLayerWeights(l.data);
      this.layerVersion[l.index] = u.version;
    }
  }

  /** Newest parameters that arrived since the last step. */
  private refreshParams(): void {
    if (!this.sub) return;
    for (let k = 1; k <= this.subscribedUpTo; k++) {
      const u = this.sub.take(paramTopic(k, k));
      if (u) this.applyUpdate(u);
    }
  }

  private headVersion(y: number): number {
    let v = Infinity;
    for (let k = 1; k <= y; k++) v = Math.min(v, this.layerVersion[k] ?? 0);
    return Number.isFinite(v) ? v : this.registration.paramVersion;
  }

  private async loop(): Promise<void> {
    const n = this.opts.numEnvs;
    const T = Number(this.registration.learnerConfig?.unrollLength ?? 20);
    const shape = this.env.observationShape as [number, number, number];
    const A = this.env.numActions;
    let obs = Uint8Array.from(this.env.reset(this.opts.seed));
    let prevRewards = new Float32Array(n);
    let prevDones = new Uint8Array(n);
    let step = 0;
    const t0 = performance.now();
    while (!this.stopping && (this.opts.maxSteps === undefined || this.stats.steps < this.opts.maxSteps)) {
      if (this.wantedSplit !== this.splitPoint) await this.switchSplit(this.wantedSplit);
      this.refreshParams();
      const y = this.splitPoint;
      let actions: Int32Array;
      if (y < this.K) {
        let payload: Uint8Array | Float32Array = obs;
        if (y > 0) {
          payload = tf.tidy(() => this.model.head(tf.tensor4d(Float32Array.from(obs), [n, ...shape]), y).dataSync() as Float32Array);
          await this.record({ step, obs });
        }
        try {
          const reply = await this.client.step({
            stepId: step,
            splitPoint: y,
            headVersion: y > 0 ? this.headVersion(y) : this.registration.paramVersion,
            dtype: y === 0 ? 'uint8' : 'float32',
            shape: y === 0 ? shape : this.model.layers[y - 1].outShape,
            numEnvs: n,
            payload,
            rewards: prevRewards,
            dones: prevDones,
          });
          actions = reply.actions;
          if (reply.newSplitPoint !== undefined) this.wantedSplit = reply.newSplitPoint;
        } catch (e) {
          if (e instanceof TransportError && e.retryable && !this.stopping) {
            // The learner restarted or the link dropped: it forgot our unfinished unrolls, so start over.
            this.stats.reconnects++;
            this.log(`lost the learner (${e.message}); reconnecting`);
            this.block = [];
            await this.connect();
            obs = Uint8Array.from(this.env.reset());
            prevRewards = new Float32Array(n);
            prevDones = new Uint8Array(n);
            step = 0;
            continue;
          }
          throw e;
        }
      } else {
        const logits = tf.tidy(() => this.model.forward(tf.tensor4d(Float32Array.from(obs), [n, ...shape])).logits.dataSync() as Float32Array);
        actions = sampleFromLogits(logits, n, A, this.rng);
        await this.record({ step, obs, local: { version: this.headVersion(this.K), actions, logits, prevRewards, prevDones } });
      }
      // Observation kT closes unroll k−1: ship the block that holds it now rather than T steps later.
      if (step % T === 0 && step > 0) await this.flush(false);
      const r = this.env.step(actions);
      prevRewards = Float32Array.from(r.rewards);
      prevDones = new Uint8Array(n);
      for (let e = 0; e < n; e++) prevDones[e] = r.terminated[e] | r.truncated[e];
      obs = Uint8Array.from(r.observations);
      step++;
      this.stats.steps++;
      this.stats.envSteps += n;
      this.stats.wallSeconds = (performance.now() - t0) / 1000;
    }
    await this.flush(true);
  }

  /** Adds a step to the upload block; a block holds consecutive steps only. */
  private async record(s: BlockStep): Promise<void> {
    const last = this.block[this.block.length - 1];
    if (last && last.step !== s.step - 1) await this.flush(false);
    this.block.push(s);
  }

  /** Uploads the block of steps since the last flush (bounded in-flight uploads keep memory flat). */
  private async flush(final: boolean): Promise<void> {
    if (this.block.length === 0) return;
    const steps = this.block;
    this.block = [];
    const data = encodeStepBlock({ numEnvs: this.opts.numEnvs, obsSize: steps[0].obs!.length / this.opts.numEnvs, numActions: this.env.numActions, steps });
    const p = this.pusher.upload(data, { registration: this.registration.learnerConfig?.registration, firstStep: steps[0].step });
    this.uploadsInFlight.push(p);
    if (final || this.uploadsInFlight.length > 4) await this.uploadsInFlight.shift();
  }
}
