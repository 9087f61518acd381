/**
 * Codec names and what they cost. A codec turns the layer-y feature an actor sends into bytes:
 *   f32         float32 as is (no codec)
 *   f32z        float32 + deflate: lossless; ReLU features are sparse, so it often shrinks them
 *   f16         IEEE half precision: 2×
 *   q<c>        c-bit quantisation (Eqs. 1–2), c ∈ {1,2,4,8}, bit-packed: 32/c ×
 *   q8z         JALAD-style: 8-bit quantisation + deflate of the codes
 *   ae<k>q<c>   MAHPPO: 1×1-conv encoder ch → k channels on the actor, c-bit quantisation, 1×1-conv
 *               decoder k → ch on the learner: R = ch·32 / (k·c) (Eq. 3)
 * Deflate's size depends on the data; `codedBytes` gives its worst case and the cost model takes a
 * measured ratio for it (bench/codec.ts measures one).
 */
import { packedBytes } from './bitpack.js';
import { isQuantBits, QUANT_BITS, type QuantBits } from './quantize.js';

export type CodecKind = 'f32' | 'f32z' | 'f16' | 'quant';

export interface CodecSpec {
  readonly id: string;
  readonly kind: CodecKind;
  /** Quantiser bits (kind 'quant'). */
  readonly bits?: QuantBits;
  /** Channels after the encoder (undefined = no encoder). */
  readonly channels?: number;
  /** Codes are deflated (f32z, q8z). */
  readonly entropy: boolean;
  /** Whether decoding can differ from the input. */
  readonly lossy: boolean;
}

export const NO_CODEC = 'f32';

const PATTERN = /^(?:(f32z?)|(f16)|q([1248])(z?)|ae([1-9][0-9]*)q([1248]))$/;

export class CodecError extends RangeError {
  override name = 'CodecError';
}

/** Parses a codec id, failing with the list of valid forms. */
export function parseCodec(id: string): CodecSpec {
  const m = PATTERN.exec(id);
  if (!m) {
    throw new CodecError(`unknown codec "${id}": use f32, f32z, f16, q<bits>, q8z or ae<channels>q<bits> (bits ∈ {${QUANT_BITS.join(', ')}}), e.g. ae4q4`);
  }
  if (m[1]) return { id, kind: m[1] === 'f32' ? 'f32' : 'f32z', entropy: m[1] === 'f32z', lossy: false };
  if (m[2]) return { id, kind: 'f16', entropy: false, lossy: true };
  const bits = Number(m[3] ?? m[6]);
  if (!isQuantBits(bits)) throw new CodecError(`codec "${id}": bad bit width ${bits}`);
  if (m[4] === 'z' && bits !== 8) throw new CodecError(`codec "${id}": deflate is offered on 8-bit codes only (q8z)`);
  const channels = m[5] ? Number(m[5]) : undefined;
  return { id, kind: 'quant', bits, channels, entropy: m[4] === 'z', lossy: true };
}

/** Per-sample feature shape as [positions, channels]: [h·w, c] for conv maps, [1, f] for vectors. */
export function featureGrid(shape: readonly number[]): { positions: number; channels: number } {
  if (shape.length === 3) return { positions: shape[0] * shape[1], channels: shape[2] };
  if (shape.length === 1) return { positions: 1, channels: shape[0] };
  throw new CodecError(`feature shape must be [h, w, c] or [f], got [${shape.join(', ')}]`);
}

/** Checks that a codec applies to a feature of this shape (an encoder must shrink the channels). */
export function checkCodecFits(spec: CodecSpec, shape: readonly number[]): void {
  const { channels } = featureGrid(shape);
  if (spec.channels !== undefined && spec.channels >= channels) {
    throw new CodecError(`codec "${spec.id}": encoder channels ${spec.channels} must be fewer than the feature's ${channels}`);
  }
}

/** Values sent per sample (after the encoder, if any). */
export function codedValues(spec: CodecSpec, shape: readonly number[]): number {
  const g = featureGrid(shape);
  return g.positions * (spec.channels ?? g.channels);
}

/** Payload bytes of n samples; for deflate codecs the worst case (stored blocks: +5 bytes per 64 KiB, +6). */
export function codedBytes(spec: CodecSpec, shape: readonly number[], n = 1): number {
  const v = codedValues(spec, shape) * n;
  const raw = spec.kind === 'f32' || spec.kind === 'f32z' ? 4 * v : spec.kind === 'f16' ? 2 * v : packedBytes(v, spec.bits!);
  return spec.entropy ? raw + 5 * Math.ceil(raw / 65535) + 6 : raw;
}

/** Eq. 3 for a fixed-size codec: float32 bytes over coded bytes (ch·32 / (ch'·c_q) for ae codecs). */
export function compressionRate(spec: CodecSpec, shape: readonly number[]): number {
  if (spec.entropy) throw new CodecError(`codec "${spec.id}": its rate depends on the data; measure it (bench/codec.ts)`);
  return (4 * codedValues({ ...spec, channels: undefined }, shape)) / codedBytes(spec, shape);
}

/** FLOPs per sample of the encoder (actor) and decoder (learner): 2·positions·ch·ch' each, 0 without one. */
export function codecFlops(spec: CodecSpec, shape: readonly number[]): { encoder: number; decoder: number } {
  if (spec.channels === undefined) return { encoder: 0, decoder: 0 };
  const g = featureGrid(shape);
  const f = 2 * g.positions * g.channels * spec.channels;
  return { encoder: f, decoder: f };
}
