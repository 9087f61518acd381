/**
 * One codec at one split point, end to end: actor side `encode` (encoder conv, then quantise + pack
 * or float16 or deflate) and learner side `decode` (the reverse, then the decoder conv). Holds the
 * encoder/decoder weights and the quantiser's running range; `state()`/`load()` carry both with the
 * parameters, versioned with the head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../backend/read-floats.js';
import { conv1x1, initConv1x1, selectConv1x1, type ConvWeights } from './autoencoder.js';
import { decodeValues, encodeValues, type CodedFeature } from './payload.js';
import { quantParams, type QuantParams } from './quantize.js';
import { checkRange, EMPTY_RANGE, updateRange, type RangeStats } from './running-range.js';
import { checkCodecFits, CodecError, codedValues, featureGrid, parseCodec, type CodecSpec } from './spec.js';

/** Serialisable codec state: what a parameter update carries for an actor at this split. */
export interface CodecState {
  readonly codec: string;
  readonly version: number;
  readonly range: RangeStats;
  /** Encoder [1,1,ch,ch′] kernel and [ch′] bias, flat (ae codecs only). */
  readonly encoder?: { readonly kernel: number[]; readonly bias: number[] };
  readonly decoder?: { readonly kernel: number[]; readonly bias: number[] };
}

export interface FeatureCodecOptions {
  /** 'random' (Glorot, seeded) or 'select' (keep the first ch′ channels; identity when ch′ = ch). */
  readonly init?: 'random' | 'select';
  readonly seed?: number;
}

export class FeatureCodec {
  readonly spec: CodecSpec;
  /** Per-sample feature shape at the split point. */
  readonly shape: readonly number[];
  range: RangeStats = EMPTY_RANGE;
  version = 0;
  encoder?: { kernel: tf.Variable; bias: tf.Variable };
  decoder?: { kernel: tf.Variable; bias: tf.Variable };

  constructor(codec: string | CodecSpec, shape: readonly number[], options: FeatureCodecOptions = {}) {
    this.spec = typeof codec === 'string' ? parseCodec(codec) : codec;
    this.shape = [...shape];
    checkCodecFits(this.spec, shape);
    const k = this.spec.channels;
    if (k !== undefined) {
      const ch = featureGrid(shape).channels;
      const make = (inC: number, outC: number, seed: number): ConvWeights =>
        options.init === 'select' ? selectConv1x1(inC, outC) : initConv1x1(inC, outC, seed);
      const enc = make(ch, k, options.seed ?? 0);
      const dec = options.init === 'select' ? selectConv1x1(k, ch) : initConv1x1(k, ch, (options.seed ?? 0) + 1);
      this.encoder = { kernel: tf.variable(enc.kernel), bias: tf.variable(enc.bias) };
      this.decoder = { kernel: tf.variable(dec.kernel), bias: tf.variable(dec.bias) };
      tf.dispose([enc.kernel, enc.bias, dec.kernel, dec.bias]);
    }
  }

  /** Values sent per sample. */
  get valuesPerSample(): number {
    return codedValues(this.spec, this.shape);
  }

  /** Eq. 1–2's scale/offset from the running range (undefined for unquantised codecs). */
  quantParams(): QuantParams | undefined {
    return this.spec.kind === 'quant' ? quantParams(this.range.min, this.range.max, this.spec.bits!) : undefined;
  }

  /** The encoder conv on a batch (identity without one); [n, …] in, [n·values] out. */
  encodeTensor(x: tf.Tensor): tf.Tensor {
    return this.encoder ? conv1x1(x, this.shape, this.encoder as unknown as ConvWeights) : x;
  }

  /**
   * The decoder conv on a batch of decoded values, back to the feature's per-sample shape; `weights`:
   * an earlier version of the decoder (a snapshot of decoderWeights()) instead of the current one.
   */
  decodeTensor(z: tf.Tensor, n: number, weights?: ConvWeights): tf.Tensor {
    if (!this.decoder) return tf.reshape(z, [n, ...this.shape]);
    const w = weights ?? (this.decoder as unknown as ConvWeights);
    const zShape = this.shape.length === 3 ? [this.shape[0], this.shape[1], this.spec.channels!] : [this.spec.channels!];
    return tf.tidy(() => tf.reshape(conv1x1(tf.reshape(z, [n, ...zShape]), zShape, w), [n, ...this.shape]));
  }

  /** A copy of the decoder's kernel and bias (undefined without one); the caller disposes it. */
  decoderWeights(): ConvWeights | undefined {
    return this.decoder && { kernel: tf.clone(this.decoder.kernel) as tf.Tensor4D, bias: tf.clone(this.decoder.bias) as tf.Tensor1D };
  }

  /** Actor side: n features (float32, per-sample shape `shape`) to what the step message carries. */
  encode(feature: Float32Array, n: number): CodedFeature {
    const z = this.encoder ? readFloats(() => this.encodeTensor(tf.tensor(feature, [n, ...this.shape]))) : feature;
    return encodeValues(this.spec, z, this.quantParams());
  }

  /** Learner side: the reverse, to [n, …shape] float32 (with `weights`: that decoder version); a CodecError for anything malformed. */
  decode(c: CodedFeature, n: number, weights?: ConvWeights): Float32Array {
    const z = decodeValues(this.spec, c, n * this.valuesPerSample);
    if (!this.decoder) return z;
    return readFloats(() => this.decodeTensor(tf.tensor1d(z), n, weights));
  }

  /** Folds a batch of encoder outputs into the running range (learner, during training). */
  observe(z: Float32Array): void {
    this.range = updateRange(this.range, z);
  }

  state(): CodecState {
    const flat = (w?: { kernel: tf.Variable; bias: tf.Variable }) => w && { kernel: Array.from(w.kernel.dataSync()), bias: Array.from(w.bias.dataSync()) };
    const s: CodecState = { codec: this.spec.id, version: this.version, range: this.range };
    return this.encoder ? { ...s, encoder: flat(this.encoder), decoder: flat(this.decoder) } : s;
  }

  /** Loads a state (from the learner or a checkpoint); fails naming the field on any mismatch. */
  load(s: CodecState, where = 'codec state'): void {
    if (s.codec !== this.spec.id) throw new CodecError(`${where}: codec is "${s.codec}", this split uses "${this.spec.id}"`);
    this.range = checkRange(s.range, where);
    const put = (v: { kernel: tf.Variable; bias: tf.Variable } | undefined, w: CodecState['encoder'], name: string) => {
      if (!v) return;
      if (!w) throw new CodecError(`${where}: ${name} weights are missing`);
      if (w.kernel.length !== v.kernel.size || w.bias.length !== v.bias.size) {
        throw new CodecError(`${where}: ${name} has ${w.kernel.length}+${w.bias.length} values, ${v.kernel.size}+${v.bias.size} expected`);
      }
      if (![...w.kernel, ...w.bias].every(Number.isFinite)) throw new CodecError(`${where}: ${name} holds a non-finite weight`);
      v.kernel.assign(tf.tensor(w.kernel, v.kernel.shape));
      v.bias.assign(tf.tensor(w.bias, v.bias.shape));
    };
    put(this.encoder, s.encoder, 'encoder');
    put(this.decoder, s.decoder, 'decoder');
    this.version = s.version;
  }

  /** Trainable variables: encoder then decoder (empty for codecs without convs). */
  variables(): tf.Variable[] {
    return [this.encoder, this.decoder].flatMap((w) => (w ? [w.kernel, w.bias] : []));
  }

  dispose(): void {
    tf.dispose(this.variables());
  }
}
