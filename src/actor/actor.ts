/**
 * An actor's loop: many environments stepped together, the head layers 1..y on local parameters
 * (ParamCache), the inference stream to the learner, and uploads of what the learner cannot see on
 * that stream (UploadBlock). At y = K it runs the whole network itself (IMPALA) and only uploads.
 * The split point can change between any two steps; the outcome of step t−1 always travels with
 * step t's data, so no step is lost or counted twice when it does. The env and the network come from
 * the learner's contract, so an actor needs no copy of the run config. The network (and with it
 * tfjs) is loaded only when the actor first runs layers itself (y > 0): a y = 0 actor never loads
 * it, which keeps many actors on one device light. The learner may move its inference steps to an
 * inference server (ServerChange): between two steps the actor opens a stream there and steps on it;
 * its stream to the learner stays its registration. A server that fails makes it register afresh
 * with the learner (its unfinished unrolls are dropped and counted there).
 */
import { VectorEnv, makeEnv, type MakeEnvOptions } from '../env/index.js';
import type * as ModelLib from '../model/index.js';
import type { InferenceChoice, PolicyModel, PolicyRunner } from '../model/index.js';
import {
  type ClientTls,
  type CodedMeta,
  connectInference,
  type DeviceProfile,
  fetchLearnerContract,
  type Hello,
  type InferenceClient,
  type LearnerContract,
  type Link,
  makeLink,
  parseLearnerContract,
  type RegisterReply,
  type StepBlockEncoding,
  TransportError,
  UploadPusher,
} from '../transport/index.js';
import { Rng } from '../util/rng.js';
import type { FeatureCodec } from '../codec/index.js';
import { ParamCache } from './param-cache.js';
import { proposeSplit } from './proposal.js';
import { UploadBlock } from './upload-block.js';

/** A site re-sends its weights only after this many times the last sync's duration (see loop()). */
const SITE_SYNC_SPACING = 9;

/** Runs layers 1..y of the actor's network on a site of several devices instead of this one (issue 20). */
export interface SiteHead {
  head(obs: Uint8Array, n: number, y: number): Promise<{ readonly out: Float32Array; readonly seconds: number }>;
  /** A getLayerWeights blob of layers 1..y. */
  setWeights(blob: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface ActorOptions {
  /** Learner address host:port. */
  learner: string;
  token: string;
  actorId: string;
  numEnvs: number;
  /** Env seed; default: derived from the contract's run seed and this actor's index. */
  seed?: number;
  /** This device's options that are not the learner's to decide (e.g. its Atari ROM directory). */
  localEnvOptions?: Pick<MakeEnvOptions, 'romDir'>;
  /** Link cap for every byte this actor sends and receives ('10MB/s', bytes/s, or 'unlimited'). */
  bandwidth?: string | number;
  tls?: ClientTls;
  /** Device profile sent with Hello (the partition planner reads flops and linkBytesPerSec). */
  profile?: DeviceProfile;
  /** Share a link (pacers and byte counters) with other actor streams of this process. */
  link?: Link;
  /** The learner's contract, when already fetched (several streams of one process share it). */
  contract?: LearnerContract;
  /** Give up after this long without a learner (default 5 minutes). */
  giveUpAfterMs?: number;
  /** Called once before the network is first built (y > 0), e.g. to start the tfjs backend. */
  initBackend?: () => Promise<void>;
  /** Who runs the head layers (and the whole net at y = K): 'auto' (default) prefers onnxruntime-node. */
  inference?: InferenceChoice;
  /** Stop after this many steps (tests); default: run until stopped. */
  maxSteps?: number;
  /** How trajectory uploads travel: 'deflate' (default; the learner takes both) or 'none'. */
  uploadEncoding?: StepBlockEncoding;
  /** Run the head layers on a cooperative site (started once the network is known). */
  site?: (model: PolicyModel) => Promise<SiteHead>;
  log?: (msg: string) => void;
}

export interface ActorStats {
  steps: number;
  envSteps: number;
  reconnects: number;
  splitPoint: number;
  splitChanges: number;
  /** Codec of the split feature now ('' = float32 or none). */
  codec: string;
  /** Times the learner moved this actor to another codec at the same split point. */
  codecChanges: number;
  /** Seconds from the first step to the end. */
  wallSeconds: number;
  bytes: ReturnType<Link['stats']['snapshot']>;
  /** What ran the head layers: 'onnxruntime-node 1.30.0 (1 thread)' or 'tfjs (wasm)'. */
  inference?: string;
  /** Weight syncs sent to the site's devices (0 without a site). */
  siteSyncs: number;
  /** Seconds spent in those syncs (the site's devices wait for them). */
  siteSyncSeconds: number;
  /** Seconds the site spent running head layers (0 without a site). */
  siteHeadSeconds: number;
}

/** The env options a contract implies on this device. */
export function contractEnvOptions(c: LearnerContract, local: Pick<MakeEnvOptions, 'romDir'> = {}): MakeEnvOptions {
  const { id: _id, ...opts } = c.env;
  return { ...opts, ...local };
}

export class Actor {
  readonly link: Link;
  readonly stats: ActorStats;
  private client: InferenceClient | undefined;
  /** Stream to the inference server that serves this actor now (undefined: the learner does). */
  private server: InferenceClient | undefined;
  private serverAddress = '';
  private wantedServer = '';
  private hello: Omit<Hello, 'type' | 'protocolVersion' | 'token'> | undefined;
  private pusher: UploadPusher | undefined;
  private registration: RegisterReply | undefined;
  private contract: LearnerContract | undefined;
  private model: PolicyModel | undefined;
  private lib: typeof ModelLib | undefined;
  private runner: PolicyRunner | undefined;
  private readonly codecs = new Map<string, FeatureCodec>();
  private params: ParamCache | undefined;
  private splitPoint = -1;
  private wantedSplit = 0;
  private codec = '';
  private wantedCodec = '';
  private stopping = false;
  /** The learner's stream dropped (the client reconnects by itself): our unfinished unrolls are gone. */
  private linkLost = false;
  private failure: TransportError | undefined;
  /** The upload block of the running loop (stop() and a failed link cancel its waits). */
  private block: UploadBlock | undefined;
  private ended = 'running';
  private readonly abort = new AbortController();
  private readonly log: (msg: string) => void;

  constructor(readonly opts: ActorOptions) {
    this.link = opts.link ?? makeLink(opts.bandwidth ?? 'unlimited');
    this.log = opts.log ?? (() => undefined);
    this.stats = {
      steps: 0,
      envSteps: 0,
      reconnects: 0,
      splitPoint: 0,
      splitChanges: 0,
      codec: '',
      codecChanges: 0,
      siteSyncs: 0,
      siteSyncSeconds: 0,
      siteHeadSeconds: 0,
      wallSeconds: 0,
      bytes: this.link.stats.snapshot(),
    };
  }

  /** Ends the loop at once, wherever it waits (connecting, a reply, parameters, backing off). */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    this.block?.cancel();
    this.client?.close();
    void this.params?.close();
  }

  /** Why the loop ended: 'stopped' (stop()), 'max-steps', or the learner's run-end reason. */
  get endReason(): string {
    return this.ended;
  }

  async run(): Promise<ActorStats> {
    const o = this.opts;
    const first =
      o.contract ??
      parseLearnerContract(
        (await fetchLearnerContract({ address: o.learner, token: o.token, tls: o.tls, giveUpAfterMs: o.giveUpAfterMs, signal: this.abort.signal }))
          .learnerConfig,
      );
    const envOptions = contractEnvOptions(first, o.localEnvOptions);
    const probe = makeEnv(first.env.id, { ...envOptions, seed: 0 });
    this.hello = {
      actorId: o.actorId,
      numEnvs: o.numEnvs,
      obsShape: [...probe.observationShape],
      numActions: probe.numActions,
      splitPoint: 0,
      profile: this.proposing(first),
    };
    this.client = this.learnerClient();
    let env: VectorEnv | undefined;
    const block = (this.block = new UploadBlock(o.numEnvs, probe.numActions, o.uploadEncoding ?? 'deflate'));
    try {
      await this.connect(first);
      const c = this.contract!;
      const seed = o.seed ?? c.seed * 1000 + (c.actorIndex ?? 0);
      env = new VectorEnv(c.env.id, o.numEnvs, { ...envOptions, seed });
      await this.loop(env, block, seed);
    } catch (e) {
      // A transport failure is settled below (run end, give-up); anything else is a bug unless stopping.
      this.failure ??= e instanceof TransportError ? e : undefined;
      if (!(e instanceof TransportError) && !this.stopping) throw e;
    } finally {
      // Uploads to a learner that is gone would wait forever: give them a moment, then drop them.
      await Promise.race([block.settle(), new Promise((r) => setTimeout(r, this.stopping || this.ended !== 'running' ? 500 : 5000).unref())]);
      this.client.close();
      this.server?.close();
      await this.params?.close();
      this.pusher?.close();
      this.runner?.dispose();
      this.params?.disposeCodecs();
      this.model?.dispose();
      this.stats.bytes = this.link.stats.snapshot();
    }
    const f = this.failure;
    if (f?.runEnded !== undefined) {
      this.ended = f.runEnded;
      this.log(`the learner ended the run (${f.runEnded}); exiting`);
    } else if (f && !this.abort.signal.aborted) throw f;
    else if (this.abort.signal.aborted) this.ended = 'stopped';
    return this.stats;
  }

  /** The device profile for Hello, with this actor's own request when the learner plans decentralised. */
  private proposing(c: LearnerContract): DeviceProfile | undefined {
    const profile = this.opts.profile;
    if (!c.planning || !profile) return profile;
    const proposal = proposeSplit(c.planning, profile);
    if (!proposal) return profile;
    const on = proposal.serverId && proposal.serverId !== 'learner' ? ` on ${proposal.serverId}` : '';
    const where = proposal.server < 0 ? 'local (y = K)' : `split ${proposal.y}${proposal.codec ? ` with ${proposal.codec}` : ''}${on}, share ${proposal.q}`;
    this.log(`my policy asks for ${where} (decentralised plan, ${c.planning.actors} actor(s) registered before me)`);
    return { ...profile, proposal };
  }

  private learnerClient(): InferenceClient {
    const o = this.opts;
    return connectInference({
      address: o.learner,
      token: o.token,
      hello: this.hello!,
      tls: o.tls,
      link: this.link,
      seed: o.seed ?? 0,
      giveUpAfterMs: o.giveUpAfterMs,
      onSplitPointChange: (m) => this.want(m.splitPoint, m.codec),
      onServerChange: (m) => (this.wantedServer = m.address),
      // An actor at y = K sends no requests, so it learns of a run end or a give-up here.
      onFailed: (e) => {
        this.failure ??= e;
        this.stopping = true;
        this.block?.cancel();
      },
      onStateChange: (s, detail) => {
        if (s === 'backoff') this.linkLost = true;
        if (s === 'backoff' || s === 'failed') this.log(`link to learner: ${s} (${detail})`);
      },
    });
  }

  /** Between two steps: leave the current inference server (its stream ends, so it releases us) and open the wanted one. */
  private async switchServer(): Promise<void> {
    const to = this.wantedServer;
    this.server?.close();
    this.server = undefined;
    this.serverAddress = to;
    if (to === '') return;
    const o = this.opts;
    this.server = connectInference({ address: to, token: o.token, hello: this.hello!, tls: o.tls, link: this.link, seed: o.seed ?? 0, giveUpAfterMs: 30_000 });
    await this.server.ready();
    this.log(`inference steps now go to the server at ${to}`);
  }

  /** Registers (again, after a learner restart) and takes the contract, endpoints and split point. */
  private async connect(expected: LearnerContract): Promise<void> {
    this.server?.close(); // a registration starts on the learner; it moves us to a server if it wants
    this.server = undefined;
    this.serverAddress = this.wantedServer = '';
    this.linkLost = false;
    const r = await this.client!.ready();
    const c = parseLearnerContract(r.learnerConfig);
    if (c.env.id !== expected.env.id || c.model !== expected.model) {
      throw new Error(
        `learner at ${this.opts.learner} now trains ${c.env.id} with ${c.model}, not ${expected.env.id} with ${expected.model}: restart this actor`,
      );
    }
    this.registration = r;
    this.contract = c;
    this.params ??= new ParamCache(() => this.model!, this.link, this.codecs);
    await this.params.reset(r.paramsAddress, c.curve);
    this.pusher?.close();
    this.pusher = UploadPusher.connect({ address: r.uploadAddress, actorId: this.opts.actorId, stats: this.link.stats, pacer: this.link.up, curve: c.curve });
    this.want(r.splitPoint, r.codec);
    this.splitPoint = -1;
    await this.switchSplit();
  }

  /** The network and the model library, loaded the first time this actor runs layers itself. */
  private async ensureModel(): Promise<void> {
    if (this.model) return;
    const c = this.contract!;
    await this.opts.initBackend?.();
    this.lib = await import('../model/index.js');
    const probe = makeEnv(c.env.id, { ...contractEnvOptions(c, this.opts.localEnvOptions), seed: 0 });
    this.model = this.lib.createModel(this.lib.networkSpecFromName(c.model, 'learner contract'), {
      inputShape: probe.observationShape as [number, number, number],
      numActions: probe.numActions,
    });
    if (c.numLayers !== this.model.K) throw new Error(`learner reports K=${c.numLayers} layers but the ${c.model} network here has ${this.model.K}`);
    // Feature codecs (tfjs layers) come with the network: the param cache holds this same map.
    const { actorCodecs } = await import('./codecs.js');
    for (const [k, codec] of actorCodecs(c, this.model)) this.codecs.set(k, codec);
    this.runner = this.lib.createPolicyRunner(this.model, this.opts.inference ?? 'auto', { log: this.log });
    this.stats.inference = this.runner.detail;
  }

  /** What the learner assigned (RegisterReply, SplitPointChange, StepReply): taken between two steps. */
  private want(y: number, codec: string | undefined): void {
    this.wantedSplit = y;
    this.wantedCodec = codec ?? '';
  }

  private async switchSplit(): Promise<void> {
    const [y, codec] = [this.wantedSplit, this.wantedCodec];
    if (y > 0) await this.ensureModel();
    await this.params!.hold(y, codec);
    if (this.splitPoint !== -1 && this.splitPoint !== y) this.stats.splitChanges++;
    else if (this.splitPoint !== -1 && this.codec !== codec) this.stats.codecChanges++;
    if (this.splitPoint !== -1 && (this.splitPoint !== y || this.codec !== codec)) this.log(`now at split point ${y}${codec ? ` with codec ${codec}` : ''}`);
    this.splitPoint = y;
    this.codec = codec;
    this.stats.splitPoint = y;
    this.stats.codec = codec;
  }

  private async loop(env: VectorEnv, block: UploadBlock, seed: number): Promise<void> {
    const n = this.opts.numEnvs;
    const K = this.contract!.numLayers;
    const T = this.contract!.unrollLength;
    const shape = env.observationShape as [number, number, number];
    const rng = new Rng(seed * 104729 + 13);
    const meta = (): Record<string, unknown> => ({ registration: this.contract!.registration });
    let obs = Uint8Array.from(env.reset(seed));
    let prevRewards = new Float32Array(n);
    let prevDones = new Uint8Array(n);
    let step = 0;
    if (this.opts.site) await this.ensureModel();
    const site = this.opts.site ? await this.opts.site(this.model!) : undefined;
    // The site's devices hold their own copy of layers 1..y. Re-sending it costs its bytes times the
    // devices over the site's links (IMPALA deep: 3.3 MB each), so after a split change it is sent at
    // once, otherwise when a newer version exists and the last sync is SITE_SYNC_SPACING times its
    // own duration ago: syncs take at most ~1/(1+SITE_SYNC_SPACING) of the site's time. The steps
    // carry the version the site holds (the behaviour policy's age), not the newest one here.
    let siteWeights = { y: -1, version: -1, at: 0, seconds: 0 };
    const head = async (y: number, version: number): Promise<{ out: Float32Array; version: number }> => {
      if (!site) return { out: await this.runner!.head(obs, n, y), version };
      const w = siteWeights;
      const due = w.y !== y || (w.version !== version && performance.now() - w.at >= SITE_SYNC_SPACING * w.seconds * 1000);
      if (due) {
        const t = performance.now();
        await site.setWeights(await this.model!.getLayerWeights(1, y));
        siteWeights = { y, version, at: performance.now(), seconds: (performance.now() - t) / 1000 };
        this.stats.siteSyncs++;
        this.stats.siteSyncSeconds += siteWeights.seconds;
      }
      const r = await site.head(obs, n, y);
      this.stats.siteHeadSeconds += r.seconds;
      return { out: r.out, version: siteWeights.version };
    };
    // The learner restarted, the link dropped, or our inference server failed: the learner forgets our
    // unfinished unrolls when we register again, so start over.
    const restart = async (why: string, viaServer = false): Promise<void> => {
      this.stats.reconnects++;
      this.log(why);
      block.clear();
      if (viaServer) {
        this.client!.close();
        this.client = this.learnerClient();
      }
      await this.connect(this.contract!);
      obs = Uint8Array.from(env.reset());
      prevRewards = new Float32Array(n);
      prevDones = new Uint8Array(n);
      step = 0;
    };
    const t0 = performance.now();
    try {
      while (!this.stopping && (this.opts.maxSteps === undefined || this.stats.steps < this.opts.maxSteps)) {
        // An actor at y = K sends no requests, so a dropped stream shows only here.
        if (this.linkLost) {
          await restart('lost the learner stream; registering again');
          continue;
        }
        if (this.wantedSplit !== this.splitPoint || this.wantedCodec !== this.codec) await this.switchSplit();
        this.params!.refresh();
        const y = this.splitPoint;
        const paramVersion = this.registration!.paramVersion;
        let actions: Int32Array;
        if (y < K) {
          let payload: Uint8Array | Float32Array = obs;
          const codec = this.params!.currentCodec();
          let coded: { codec: CodedMeta } | undefined;
          let behaviourVersion = y > 0 ? this.params!.headVersion(y, paramVersion) : paramVersion;
          if (y > 0) {
            const h = await head(y, behaviourVersion);
            payload = h.out;
            behaviourVersion = h.version;
            if (codec) {
              const c = codec.encode(payload, n);
              payload = c.bytes;
              coded = { codec: { id: codec.spec.id, version: codec.version, scale: c.scale, offset: c.offset } };
            }
            await block.record(this.pusher!, meta(), { step, obs });
          }
          try {
            if (this.wantedServer !== this.serverAddress) await this.switchServer();
            const reply = await (this.server ?? this.client!).step({
              stepId: step,
              splitPoint: y,
              headVersion: behaviourVersion,
              dtype: y === 0 ? 'uint8' : coded ? 'coded' : 'float32',
              shape: y === 0 ? shape : this.model!.layers[y - 1].outShape,
              numEnvs: n,
              payload,
              rewards: prevRewards,
              dones: prevDones,
              codec: coded?.codec,
            });
            actions = reply.actions;
            if (reply.newSplitPoint !== undefined) this.want(reply.newSplitPoint, reply.newCodec);
          } catch (e) {
            const viaServer = this.serverAddress !== '' && e instanceof TransportError && e.runEnded === undefined && !this.stopping;
            if (!viaServer && !(e instanceof TransportError && e.retryable && !this.stopping)) throw e;
            await restart(
              viaServer
                ? `lost the inference server at ${this.serverAddress} (${(e as Error).message}); registering with the learner again`
                : `lost the learner (${(e as Error).message}); reconnecting`,
              viaServer,
            );
            continue;
          }
        } else {
          // a site ran all K layers: only the policy/value heads are left, which tfjs runs (onnx has no heads-only segment)
          let version = this.params!.headVersion(K, paramVersion);
          let out;
          if (site) {
            const h = await head(K, version);
            version = h.version; // the trunk's age; the policy/value heads here are as new as `version` or newer
            out = await this.lib!.act(this.model!, h.out, n, { rng, splitPoint: K });
          } else out = await this.runner!.act(obs, n, { rng });
          actions = out.actions;
          const local = { version, actions, logits: out.logits, prevRewards, prevDones };
          await block.record(this.pusher!, meta(), { step, obs, local });
          // Nothing in a local step need wait on I/O (tfjs acts synchronously, a ZeroMQ send that fits its
          // queue resolves at once), and a loop of resolved promises never lets libuv poll: parameter
          // updates and the learner's keepalive pings would wait until the learner's queue pushed back.
          // One turn of the event loop per step lets them in.
          await new Promise<void>((r) => setImmediate(r));
        }
        // Observation kT closes unroll k−1: ship the block that holds it now rather than T steps later.
        if (step % T === 0 && step > 0) await block.flush(this.pusher!, meta(), false);
        const r = env.step(actions);
        prevRewards = Float32Array.from(r.rewards);
        prevDones = new Uint8Array(n);
        for (let e = 0; e < n; e++) prevDones[e] = r.terminated[e] | r.truncated[e];
        obs = Uint8Array.from(r.observations);
        step++;
        this.stats.steps++;
        this.stats.envSteps += n;
        this.stats.wallSeconds = (performance.now() - t0) / 1000;
      }
      if (!this.stopping) {
        this.ended = 'max-steps';
        await block.flush(this.pusher!, meta(), true);
      }
    } finally {
      await site?.close();
    }
  }
}
