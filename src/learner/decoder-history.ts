/**
 * The last few published versions of a codec's decoder. An actor encodes with the encoder of the
 * codec state it last received (version v, stamped when the learner published it); the learner's
 * decoder has trained on since. Decoding with the decoder published beside that encoder (version v)
 * makes decoding exact across updates, as long as v is among the last `keep` published versions.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvWeights, FeatureCodec } from '../codec/index.js';

export class DecoderHistory {
  private readonly byVersion = new Map<number, ConvWeights>();

  constructor(private readonly keep: number) {
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`distributed.codecDecoderVersions must be an integer >= 1, got ${keep}`);
  }

  /** At publication of version v: a copy of the decoder as published (a republished v replaces it). */
  record(v: number, codec: FeatureCodec): void {
    const w = codec.decoderWeights();
    if (!w) return;
    const old = this.byVersion.get(v);
    if (old) tf.dispose([old.kernel, old.bias]);
    this.byVersion.delete(v);
    this.byVersion.set(v, w);
    while (this.byVersion.size > this.keep) {
      const [first, oldest] = this.byVersion.entries().next().value!;
      tf.dispose([oldest.kernel, oldest.bias]);
      this.byVersion.delete(first);
    }
  }

  /** The decoder published as version v, if still kept. */
  at(v: number): ConvWeights | undefined {
    return this.byVersion.get(v);
  }

  get versions(): number[] {
    return [...this.byVersion.keys()];
  }

  dispose(): void {
    for (const w of this.byVersion.values()) tf.dispose([w.kernel, w.bias]);
    this.byVersion.clear();
  }
}
