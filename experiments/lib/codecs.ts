/**
 * Feature codecs for split-point activations, as rows of the cost-model and where-split-wins studies.
 * A codec says how many bytes an activation of `rawBytes` (float32) becomes at split y, what encoding
 * (on the device) and decoding (on the learner) costs in FLOPs, and (`option`) the (y, codec)
 * strategy the partition solvers price, so that DEFP plans with the codec it will be served. Rows of
 * src/codec codecs (`featureCodecRow`) use the exact sizes and FLOPs of src/codec/spec.ts at each
 * layer's real output shape; deflate codecs (f32z, q8z) are data-dependent and left out here
 * (bench/codec.ts measures them).
 */
import { codecOptionsFor } from '../../src/partition/codec-options.js';
import type { CodecOption } from '../../src/partition/instance.js';
import { buildTrunk, type NetworkSpec as ModelSpec } from '../../src/model/networks.js';

export interface SplitCodec {
  readonly name: string;
  readonly description: string;
  /** Bytes on the wire of an activation of `rawBytes` at split y (0 < y < K). */
  bytes(y: number, rawBytes: number): number;
  /** FLOPs the device spends encoding (and the learner decoding) one activation of `rawBytes`. */
  encodeFlops(y: number, rawBytes: number): number;
  /** The strategy the solvers see at split y (undefined: float32 there). */
  option?(y: number): CodecOption | undefined;
}

export const IDENTITY_CODEC: SplitCodec = {
  name: 'none',
  description: 'float32 activations as the actor sends them today',
  bytes: (_y, raw) => raw,
  encodeFlops: () => 0,
};

/** Codec ids the studies sweep besides float32 (fixed-size ones: their bytes do not depend on the data). */
export const FEATURE_CODEC_IDS = ['f16', 'q8', 'q4', 'ae4q4'] as const;

/**
 * Codec `id` at every split 0 < y < K of network `spec` on `inputShape` that it fits (an encoder must
 * shrink the channels); splits it does not fit send float32.
 */
export function featureCodecRow(id: string, spec: ModelSpec, inputShape: readonly [number, number, number]): SplitCodec {
  const trunk = buildTrunk(spec, inputShape).layers;
  const opts = trunk.map((l) => codecOptionsFor(l.outShape, [id])[0] as CodecOption | undefined);
  const at = (y: number): CodecOption | undefined => (y >= 1 && y < trunk.length ? opts[y - 1] : undefined);
  return {
    name: id,
    description: `${id} (src/codec) at every intermediate split it fits`,
    bytes: (y, raw) => at(y)?.bytes ?? raw,
    encodeFlops: (y) => at(y)?.deviceFlops ?? 0,
    option: at,
  };
}

/** The rows a study sweeps for a network: float32, then every codec of FEATURE_CODEC_IDS. */
export function codecRows(spec: ModelSpec, inputShape: readonly [number, number, number]): SplitCodec[] {
  return [IDENTITY_CODEC, ...FEATURE_CODEC_IDS.map((id) => featureCodecRow(id, spec, inputShape))];
}

export const CODECS: readonly SplitCodec[] = [IDENTITY_CODEC];
