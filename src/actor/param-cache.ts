/**
 * An actor's copy of the head layers 1..y: subscribes to one topic per layer (all K at y = K), applies
 * the newest version of each between steps, and knows the version of its head — the behaviour
 * policy's age that the learner needs for V-trace and the policy lag. At a split with a feature codec
 * it also takes that codec's state (encoder weights, quantiser range) from its own topic.
 */
import type { CodecState, FeatureCodec } from '../codec/index.js';
import type { PolicyModel } from '../model/index.js';
import { codecTopic, type CurveClientKeys, type Link, ParamSubscriber, paramTopic, type ParamUpdate } from '../transport/index.js';

export class ParamCache {
  private sub: ParamSubscriber | null = null;
  private subscribedUpTo = 0;
  private address = '';
  private curve: CurveClientKeys | undefined;
  private readonly layerVersion: number[] = [];

  /** `model` is asked for only when a layer arrives (y > 0), so a y = 0 actor needs none. */
  constructor(
    private readonly model: () => PolicyModel,
    private readonly link: Link,
    /** Feature codec per split point (from the contract); empty: float32 everywhere. */
    private readonly codecs: ReadonlyMap<number, FeatureCodec> = new Map(),
  ) {}

  /** A (re)registration: a restarted learner has new endpoints and may resume from an older version. */
  async reset(address: string, curve?: CurveClientKeys): Promise<void> {
    // New keys come with every registration: reconnect with them.
    if (this.sub && (this.address !== address || this.curve?.publicKey !== curve?.publicKey)) {
      await this.sub.close();
      this.sub = null;
      this.subscribedUpTo = 0;
    }
    this.address = address;
    this.curve = curve;
    this.layerVersion.length = 0;
  }

  /** Subscribes to layers 1..y and waits until it holds all of them. */
  async hold(y: number, timeoutMs = 60_000): Promise<void> {
    if (y !== this.subscribedUpTo) {
      await this.sub?.close();
      this.sub = null;
      this.subscribedUpTo = y;
      if (y > 0) {
        const topics = Array.from({ length: y }, (_, i) => paramTopic(i + 1, i + 1));
        if (this.codecs.has(y)) topics.push(codecTopic(y));
        this.sub = ParamSubscriber.connect({ address: this.address, topics, stats: this.link.stats, pacer: this.link.down, curve: this.curve });
      }
    }
    for (let k = 1; k <= y; k++) this.apply(await this.sub!.waitForVersion(paramTopic(k, k), this.layerVersion[k] ?? 0, timeoutMs));
    const codec = this.codecs.get(y);
    if (codec) this.applyCodec(codec, await this.sub!.waitForVersion(codecTopic(y), 0, timeoutMs));
  }

  /** The codec an actor at split point y encodes with (undefined: float32). */
  codecAt(y: number): FeatureCodec | undefined {
    return this.codecs.get(y);
  }

  /** Applies whatever arrived since the last step. */
  refresh(): void {
    if (!this.sub) return;
    for (let k = 1; k <= this.subscribedUpTo; k++) {
      const u = this.sub.take(paramTopic(k, k));
      if (u) this.apply(u);
    }
    const codec = this.codecs.get(this.subscribedUpTo);
    const cu = codec && this.sub.take(codecTopic(this.subscribedUpTo));
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
