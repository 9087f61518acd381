import { codecFlops, codedBytes, featureGrid, parseCodec } from '../codec/spec.js';
import type { CodecOption } from './instance.js';
import { modelNetwork, type NetworkSpec } from './networks.js';
import { buildTrunk, type NetworkSpec as ModelSpec } from '../model/networks.js';

/**
 * The joint (y, codec) instance for a network Coknight trains: each layer y < K lists the codecs that
 * fit its output (an encoder must shrink the channels) with their exact sizes and FLOPs from
 * src/codec/spec.ts. Deflate codecs (f32z, q8z) shrink by a data-dependent ratio: pass a measured one
 * (bench/codec.ts prints them); without it they are listed at their worst case (never better than raw).
 */

export interface CodecTableOptions {
  /** Measured deflated/raw size ratio per codec id (e.g. { f32z: 0.3, q8z: 0.4 }); default worst case. */
  readonly entropyRatio?: Readonly<Record<string, number>>;
}

/** The codec options of one feature shape (per-sample), skipping codecs that do not fit it. */
export function codecOptionsFor(shape: readonly number[], codecIds: readonly string[], opts: CodecTableOptions = {}): CodecOption[] {
  const out: CodecOption[] = [];
  const { channels } = featureGrid(shape);
  for (const id of codecIds) {
    const spec = parseCodec(id);
    if (spec.kind === 'f32' || (spec.channels !== undefined && spec.channels >= channels)) continue;
    const ratio = opts.entropyRatio?.[id];
    if (ratio !== undefined && !(ratio > 0 && ratio <= 1.01)) throw new RangeError(`entropyRatio.${id} must be in (0, 1.01], got ${ratio}`);
    let bytes = codedBytes(spec, shape);
    if (spec.entropy && ratio !== undefined) bytes = Math.max(1, Math.round(ratio * codedBytes({ ...spec, entropy: false }, shape)));
    const f = codecFlops(spec, shape);
    out.push({ id, bytes, deviceFlops: f.encoder, edgeFlops: f.decoder, lossy: spec.lossy });
  }
  return out;
}

/**
 * `modelNetwork` with codec options: a bare id on every layer y < K besides float32; `<id>@<y>` at split
 * y only, as a live learner holding it there (`distributed.codecs`) prices it: that split then offers
 * its pinned codecs alone, without float32 (the learner trains them for the actors there).
 */
export function modelNetworkWithCodecs(
  spec: ModelSpec,
  inputShape: readonly [number, number, number],
  numActions: number,
  codecIds: readonly string[],
  opts: CodecTableOptions = {},
): NetworkSpec {
  const net = modelNetwork(spec, inputShape, numActions);
  const trunk = buildTrunk(spec, inputShape).layers;
  const K = trunk.length;
  const bare: string[] = [];
  const pinned = new Map<number, string[]>();
  for (const entry of codecIds) {
    const m = /^([^@]+)@(\d+)$/.exec(entry);
    if (!m) {
      bare.push(entry);
      continue;
    }
    const y = Number(m[2]);
    if (y < 1 || y >= K) throw new RangeError(`codec "${entry}": split point ${y} is not one of this network's 1..${K - 1}`);
    if (codecOptionsFor(trunk[y - 1].outShape, [m[1]], opts).length === 0)
      throw new RangeError(`codec "${entry}" does not fit split point ${y} (output ${trunk[y - 1].outShape.join('×')}): an encoder must shrink the features`);
    pinned.set(y, [...(pinned.get(y) ?? []), m[1]]);
  }
  return {
    ...net,
    name: `${net.name}+codecs`,
    layers: net.layers.map((l, i) => {
      if (i === K - 1) return l;
      const at = pinned.get(i + 1);
      return at
        ? { ...l, plain: false, codecs: codecOptionsFor(trunk[i].outShape, at, opts) }
        : { ...l, codecs: codecOptionsFor(trunk[i].outShape, bare, opts) };
    }),
  };
}
