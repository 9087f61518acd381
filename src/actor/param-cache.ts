/**
 * An actor's copy of the head layers 1..y: subscribes to its head's one topic (headTopic(y, codec):
 * all K layers at y = K), applies the newest version between steps, and knows the version of its
 * head — the behaviour policy's age that the learner needs for V-trace and the policy lag. With a
 * feature codec (the one the learner assigned it at y) the same message carries that codec's state
 * (encoder weights, quantiser range).
 */
import type { CodecState, FeatureCodec } from '../codec/index.js';
import type { PolicyModel } from '../model/index.js';
import { codecKey, type CurveClientKeys, headTopic, layerBlobs, type Link, ParamSubscriber, type ParamUpdate, readCodecStates } from '../transport/index.js';

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
        this.sub = ParamSubscriber.connect({
          address: this.address,
          topic: headTopic(y, codec),
          stats: this.link.stats,
          pacer: this.link.down,
          curve: this.curve,
        });
      }
    }
    if (y > 0) this.apply(await this.sub!.waitForVersion(this.headVersion(y, 0), timeoutMs));
  }

  /** The codec the actor encodes with at its current split (undefined: float32). */
  currentCodec(): FeatureCodec | undefined {
    return this.subscribedCodec === '' ? undefined : this.codecs.get(codecKey(this.subscribedUpTo, this.subscribedCodec));
  }

  /** Applies whatever arrived since the last step. */
  refresh(): void {
    const u = this.sub?.take();
    if (u) this.apply(u);
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

  /** Layers 1..y and, with a codec, its state: a message without the codec's state is refused before anything is applied. */
  private apply(u: ParamUpdate): void {
    const codec = this.currentCodec();
    let state: CodecState | undefined;
    if (codec) {
      const key = codecKey(this.subscribedUpTo, this.subscribedCodec);
      state = readCodecStates(u).get(key) as CodecState | undefined;
      if (!state) throw new Error(`parameters v${u.version} on ${headTopic(this.subscribedUpTo, this.subscribedCodec)} carry no state for codec ${key}`);
    }
    for (const l of layerBlobs(u)) {
      if ((this.layerVersion[l.index] ?? -1) >= u.version) continue;
      this.model().setLayerWeights(l.data);
      this.layerVersion[l.index] = u.version;
    }
    if (codec && state) codec.load(state, `codec state of split point ${this.subscribedUpTo}`);
  }
}
