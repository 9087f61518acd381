import type { Layer, PartitionSystem } from './instance.js';

/**
 * The joint strategy space: a strategy is (split point y, codec). For y in 0..K−1 the actor sends
 * b_y as float32 ('f32'; y = 0: the uint8 observation) or, for y ≥ 1, any codec listed on layer y;
 * y = K sends nothing. Strategies are numbered y-major with float32 first, so without codecs
 * strategy s is split point y = s, and the last strategy is always local (y = K). A layer with
 * `plain: false` offers only its codecs. The solvers work on
 * strategy indices; `local` plays the role K played.
 */

export interface Strategy {
  readonly y: number;
  /** Codec id ('f32' = none). */
  readonly codec: string;
  /** Bytes up the link per inference (b_y, or the codec's compressed size). */
  readonly bytes: number;
  /** Encoder FLOPs on the actor / decoder FLOPs on the learner (0 without a codec). */
  readonly encoderFlops: number;
  readonly decoderFlops: number;
  readonly lossy: boolean;
}

export const PLAIN = 'f32';

/** Every strategy of a system, local last; lossy codecs dropped when the learner forbids them. */
export function strategies(sys: PartitionSystem): Strategy[] {
  return splitStrategies(sys.inputBytes, sys.layers, sys.edge.allowLossyCodecs ?? true);
}

/**
 * The (y, codec) table of a network, local last: what `strategies` lists for one learner and what the
 * multi-server problem (src/partition/multi) offers on every server.
 */
export function splitStrategies(inputBytes: number, layers: readonly Layer[], allowLossy: boolean): Strategy[] {
  const K = layers.length;
  const out: Strategy[] = [];
  for (let y = 0; y < K; y++) {
    const bytes = y === 0 ? inputBytes : layers[y - 1].outBytes;
    const codecs = y === 0 ? [] : (layers[y - 1].codecs ?? []);
    const plain = y === 0 || layers[y - 1].plain !== false;
    if (!plain && codecs.length === 0) throw new RangeError(`layers[${y - 1}]: plain is false but no codecs are listed: split point ${y} would offer nothing`);
    if (plain) out.push({ y, codec: PLAIN, bytes, encoderFlops: 0, decoderFlops: 0, lossy: false });
    const seen = new Set<string>([PLAIN]);
    for (const c of codecs) {
      if (seen.has(c.id)) throw new RangeError(`layers[${y - 1}].codecs: codec "${c.id}" is listed twice (float32 "${PLAIN}" is always offered)`);
      seen.add(c.id);
      if (c.lossy && !allowLossy) continue;
      out.push({ y, codec: c.id, bytes: c.bytes, encoderFlops: c.deviceFlops, decoderFlops: c.edgeFlops, lossy: c.lossy });
    }
  }
  const last = layers[K - 1];
  if (last.codecs?.length) throw new RangeError(`layers[${K - 1}].codecs: layer K runs on the actor with nothing to send; remove its codecs`);
  out.push({ y: K, codec: PLAIN, bytes: 0, encoderFlops: 0, decoderFlops: 0, lossy: false });
  return out;
}

/** Index of (y, codec) in `strategies(sys)`; a clear error when that pair is not offered. */
export function strategyIndex(list: readonly Strategy[], y: number, codec = PLAIN): number {
  const s = list.findIndex((t) => t.y === y && t.codec === codec);
  if (s < 0) {
    const offered = list.filter((t) => t.y === y).map((t) => t.codec);
    throw new RangeError(
      offered.length
        ? `codec "${codec}" is not offered at split point ${y} (offered: ${offered.join(', ')})`
        : `split point ${y} is not in 0..${list[list.length - 1].y}`,
    );
  }
  return s;
}
