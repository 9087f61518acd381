/**
 * The learner's feature codecs, one per split point 0 < y < K that the configured codec fits: it
 * decodes coded step requests (rejecting, with a ProtocolError the stream turns into a gRPC status and
 * counts, a codec it does not hold or a corrupted buffer), keeps each quantiser's running range from
 * the training batches, and hands the codec states to the parameter publisher.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CodecError, FeatureCodec, parseCodec, updateRange, type CodecState } from '../codec/index.js';
import type { PolicyModel } from '../model/index.js';
import { ProtocolError, type StepRequest } from '../transport/index.js';

export class SplitCodecs {
  private readonly byY = new Map<number, FeatureCodec>();
  /** Coded requests refused, by reason (also in the stream's rejectedByCode). */
  readonly rejected: Record<string, number> = {};

  /**
   * `codec` from distributed.codec; `allowLossy` from distributed.allowLossyCodecs; `split` from
   * distributed.codecSplit (default: the lowest split the codec fits). One split holds the codec: the
   * one the learner trains it at (codec-training.ts); actors elsewhere send float32.
   */
  constructor(
    private readonly model: PolicyModel,
    codec: string | undefined,
    allowLossy: boolean,
    seed: number,
    split?: number,
  ) {
    if (codec === undefined) return;
    let spec;
    try {
      spec = parseCodec(codec);
    } catch (e) {
      throw new RangeError(`distributed.codec: ${(e as Error).message}`, { cause: e });
    }
    if (spec.lossy && !allowLossy) {
      throw new RangeError(`distributed.codec "${codec}" is lossy but distributed.allowLossyCodecs is false: use f32z or allow lossy codecs`);
    }
    const fits = (y: number): boolean => {
      const shape = model.layers[y - 1].outShape;
      return spec.channels === undefined || spec.channels < shape[shape.length - 1]; // an encoder must shrink the feature
    };
    const ys = Array.from({ length: model.K - 1 }, (_, i) => i + 1).filter(fits);
    if (ys.length === 0) throw new RangeError(`distributed.codec "${codec}" fits no split point of the ${model.spec} network`);
    const y = split ?? ys[0];
    if (!ys.includes(y)) {
      throw new RangeError(`distributed.codecSplit ${y}: distributed.codec "${codec}" fits split points ${ys.join(', ')} of the ${model.spec} network`);
    }
    this.byY.set(y, new FeatureCodec(spec, model.layers[y - 1].outShape, { seed: seed * 7919 + y }));
  }

  get size(): number {
    return this.byY.size;
  }

  at(y: number): FeatureCodec | undefined {
    return this.byY.get(y);
  }

  /** Split point → codec id, for the contract. */
  table(): Record<string, string> | undefined {
    if (this.byY.size === 0) return undefined;
    return Object.fromEntries([...this.byY].map(([y, c]) => [String(y), c.spec.id]));
  }

  /** A coded request as the float32 request the batcher takes; ProtocolError for anything wrong. */
  decode(req: StepRequest): StepRequest {
    const meta = req.codec!;
    const c = this.byY.get(req.splitPoint);
    if (!c || c.spec.id !== meta.id) {
      this.count('UNKNOWN_CODEC');
      throw new ProtocolError(
        'UNKNOWN_CODEC',
        `StepRequest.codec "${meta.id}" at split point ${req.splitPoint}: this learner holds ${c ? `"${c.spec.id}"` : 'no codec'} there` +
          ` (distributed.codec); send what the contract's codecs table says`,
      );
    }
    if (meta.version > c.version) {
      this.count('UNKNOWN_CODEC');
      throw new ProtocolError('UNKNOWN_CODEC', `StepRequest.codec.version ${meta.version} is newer than the learner's ${c.version} for "${meta.id}"`);
    }
    try {
      const payload = c.decode({ bytes: req.payload as Uint8Array, scale: meta.scale, offset: meta.offset }, req.numEnvs);
      return { ...req, dtype: 'float32', payload, codec: undefined };
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      this.count('BAD_CODE');
      throw new ProtocolError('BAD_LENGTH', `StepRequest.payload (codec "${meta.id}"): ${e.message}`);
    }
  }

  /** Folds encoder outputs of a batch of observations into each quantiser's running range. */
  observe(obs: tf.Tensor): void {
    for (const [y, c] of this.byY) {
      if (c.spec.kind !== 'quant') continue;
      const z = tf.tidy(() => c.encodeTensor(this.model.head(obs, y)).dataSync() as Float32Array);
      c.range = updateRange(c.range, z);
    }
  }

  /** Marks every codec state as belonging to parameter version v (before publishing). */
  stamp(v: number): void {
    for (const c of this.byY.values()) c.version = v;
  }

  states(): [number, CodecState][] {
    return [...this.byY].map(([y, c]) => [y, c.state()]);
  }

  /** Trainable variables of every codec (encoder and decoder convs). */
  variables(): tf.Variable[] {
    return [...this.byY.values()].flatMap((c) => c.variables());
  }

  dispose(): void {
    for (const c of this.byY.values()) c.dispose();
  }

  private count(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }
}
