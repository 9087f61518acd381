/**
 * An actor's copy of the head layers 1..y: subscribes to one topic per layer (all K at y = K), applies
 * the newest version of each between steps, and knows the version of its head — the behaviour
 * policy's age that the learner needs for V-trace and the policy lag. With a feature codec (the one
 * the learner assigned it at y) it also takes that codec's state (encoder weights, quantiser range)
 * from the codec's own topic, and only that one.
 */
import type { CodecState, FeatureCodec } from '../codec/index.js';
import type { PolicyModel } from '../model/index.js';
import { codecTopic, type CurveClientKeys, type Link, ParamSubscriber, paramTopic, type ParamUpdate } from '../transport/index.js';

/** Key of codec `id` at split point y in an actor's codec map (here, not in codecs.ts: that one loads tfjs). */
export const codecKey = (y: number, id: string): string => `${y}/${id}`;

export class ParamCache {
  private sub: ParamSubscriber | null = null;
  private subscribedUpTo = 0;
  /** Codec subscribed to at subscribedUpTo ('' = none). */
  private subscribedCodec = '';
  private address = '';
  private curve: CurveClientKeys | undefined;
  private readonly layerVersion: number[] = [];

  /** `model` is asked for only when a layer arrives (y > 0), so a y = 0 actor needs none. */
  constructor(
    private readonly model: () => PolicyModel,
    private readonly link: Link,
    /** Feature codecs by "<y>/<id>" (from the contract); empty: float32 everywhere. */
    private readonly codecs: ReadonlyMap<string, FeatureCodec> = new Map(),
  ) {}

  /** A (re)registration: a restarted learner has new endpoints and may resume from an older version. */
  async reset(address: string, curve?: CurveClientKeys): Promise<void> {
    // New keys come with every registration: reconnect with them.
    if (this.sub && (this.address !== address || this.curve?.publicKey !== curve?.publicKey)) {
      await this.sub.close();
      this.sub = null;
      this.subscribedUpTo = 0;
      this.subscribedCodec = '';
    }
    this.address = address;
    this.curve = curve;
    this.layerVersion.length = 0;
  }

  /** Subscribes to layers 1..y (and codec `codec` there, '' = none) and waits until it holds all of them. */
  async hold(y: number, codec = '', timeoutMs = 60_000): Promise<void> {
    const c = codec === '' ? undefined : this.codecs.get(codecKey(y, codec));
    if (codec !== '' && !c) throw new Error(`the learner assigned codec "${codec}" at split point ${y}, which its contract does not list there`);
    if (y !== this.subscribedUpTo || codec !== this.subscribedCodec) {
      await this.sub?.close();
      this.sub = null;
      this.subscribedUpTo = y;
      this.subscribedCodec = codec;
      if (y > 0) {
        const topics = Array.from({ length: y }, (_, i) => paramTopic(i + 1, i + 1));
        if (c) topics.push(codecTopic(y, codec));
        this.sub = ParamSubscriber.connect({ address: this.address, topics, stats: this.link.stats, pacer: this.link.down, curve: this.curve });
      }
    }
    for (let k = 1; k <= y; k++) this.apply(await this.sub!.waitForVersion(paramTopic(k, k), this.layerVersion[k] ?? 0, timeoutMs));
    if (c) this.applyCodec(c, await this.sub!.waitForVersion(codecTopic(y, codec), 0, timeoutMs));
  }

  /** The codec the actor encodes with at its current split (undefined: float32). */
  currentCodec(): FeatureCodec | undefined {
    return this.subscribedCodec === '' ? undefined : this.codecs.get(codecKey(this.subscribedUpTo, this.subscribedCodec));
  }

  /** Applies whatever arrived since the last step. */
  refresh(): void {
    if (!this.sub) return;
    for (let k = 1; k <= this.subscribedUpTo; k++) {
      const u = this.sub.take(paramTopic(k, k));
      if (u) this.apply(u);
    }
    const codec = this.currentCodec();
    const cu = codec && this.sub.take(codecTopic(this.subscribedUpTo, this.subscribedCodec));
    if (codec && cu) this.applyCodec(codec, cu);
  }

  /** Oldest version among layers 1..y (`fallback` when y = 0). */
  headVersion(y: number, fallback: number): number {
    let v = Infinity;
    for (let k = 1; k <= y; k++) v = Math.min(v, this.layerVersion[k] ?? 0);
    return Number.isFinite(v) ? v : fallback;
  }

  disposeCodecs(): void {
    for (const c of this.codecs.values()) c.dispose();
  }

  async close(): Promise<void> {
    const sub = this.sub;
    this.sub = null;
    this.subscribedUpTo = 0;
    this.subscribedCodec = '';
    await sub?.close();
  }

  private applyCodec(codec: FeatureCodec, u: ParamUpdate): void {
    if (u.layers.length !== 1) throw new Error(`codec update carries ${u.layers.length} blobs, 1 expected`);
    const state = JSON.parse(new TextDecoder().decode(u.layers[0].data)) as CodecState;
    codec.load(state, `codec state of split point ${u.layers[0].index}`);
  }

  private apply(u: ParamUpdate): void {
    for (const l of u.layers) {
      if ((this.layerVersion[l.index] ?? -1) >= u.version) continue;
      this.model().setLayerWeights(l.data);
      this.layerVersion[l.index] = u.version;
    }
  }
}
