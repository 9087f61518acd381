/**
 * The learner's feature codecs, one trained codec per (split point y, codec id) that
 * distributed.codecs lists: it decodes each coded step request with the codec the request names
 * (rejecting, with a ProtocolError the stream turns into a gRPC status and counts, a (y, id) it does
 * not hold or a corrupted buffer), keeps each quantiser's running range from the training batches,
 * and hands the codec states to the parameter publisher. The first listed codec is the main one: the
 * training forward pass goes through it (codec-training.ts); the others train off that path.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../backend/read-floats.js';
import { CodecError, FeatureCodec, parseCodec, updateRange, type CodecSpec, type CodecState } from '../codec/index.js';
import type { PolicyModel } from '../model/index.js';
import { DecoderHistory } from './decoder-history.js';
import { ProtocolError, type StepRequest } from '../transport/index.js';

/** Where a codec sits: split point and codec id. */
export interface CodecKey {
  readonly y: number;
  readonly id: string;
}

export interface CodecSettings {
  /** distributed.codecs (or [distributed.codec]); empty: float32 everywhere. */
  readonly codecs: readonly string[];
  readonly allowLossy: boolean;
  readonly seed: number;
  /** distributed.codecSplit: where entries without @y sit (default: the lowest split the first codec fits). */
  readonly split?: number;
  /** distributed.codecDecoderVersions: published decoder versions kept for exact decoding (default 4). */
  readonly decoderVersions?: number;
}

/** distributed.codecs, or distributed.codec as its one-element case. */
export function configuredCodecs(d: { codec?: string; codecs?: readonly string[] }): string[] {
  return d.codecs ? [...d.codecs] : d.codec !== undefined ? [d.codec] : [];
}

const key = (y: number, id: string): string => `${y}/${id}`;

export class SplitCodecs {
  /** (y, id) → codec, in configuration order (the main codec first). */
  private readonly byKey = new Map<string, { y: number; codec: FeatureCodec; history: DecoderHistory }>();
  /** Coded requests refused, by reason (also in the stream's rejectedByCode). */
  readonly rejected: Record<string, number> = {};
  /** Coded steps decoded with the learner's current decoder because their version was no longer kept. */
  inexactDecodes = 0;

  constructor(
    private readonly model: PolicyModel,
    s: CodecSettings,
  ) {
    const field = s.codecs.length === 1 ? 'distributed.codec' : 'distributed.codecs';
    const entries = s.codecs.map((entry, i) => {
      const [id, at] = entry.split('@');
      let spec: CodecSpec;
      try {
        spec = parseCodec(id);
      } catch (e) {
        throw new RangeError(`${field}${s.codecs.length > 1 ? `[${i}]` : ''}: ${(e as Error).message}`, { cause: e });
      }
      if (spec.lossy && !s.allowLossy) {
        throw new RangeError(`${field} "${id}" is lossy but distributed.allowLossyCodecs is false: use f32z or allow lossy codecs`);
      }
      return { entry, spec, at: at === undefined ? undefined : Number(at) };
    });
    if (entries.length === 0) return;
    const fitsAt = (spec: CodecSpec): number[] =>
      Array.from({ length: model.K - 1 }, (_, i) => i + 1).filter((y) => {
        const shape = model.layers[y - 1].outShape;
        return spec.channels === undefined || spec.channels < shape[shape.length - 1]; // an encoder must shrink the feature
      });
    const first = entries[0];
    const firstFits = fitsAt(first.spec);
    if (firstFits.length === 0) throw new RangeError(`${field} "${first.spec.id}" fits no split point of the ${model.spec} network`);
    const home = first.at ?? s.split ?? firstFits[0];
    for (const [i, e] of entries.entries()) {
      const y = e.at ?? home;
      const ys = fitsAt(e.spec);
      if (ys.length === 0) throw new RangeError(`${field} "${e.spec.id}" fits no split point of the ${model.spec} network`);
      if (!ys.includes(y)) {
        const where = e.at !== undefined ? `"${e.entry}"` : `distributed.codecSplit ${y}`;
        throw new RangeError(`${where}: ${field} "${e.spec.id}" fits split points ${ys.join(', ')} of the ${model.spec} network`);
      }
      if (this.byKey.has(key(y, e.spec.id))) throw new RangeError(`${field}: "${e.spec.id}" at split point ${y} is listed twice`);
      // The main codec keeps the seed the one-codec build used, so its runs are unchanged.
      const codec = new FeatureCodec(e.spec, model.layers[y - 1].outShape, { seed: s.seed * 7919 + y + 1009 * i });
      this.byKey.set(key(y, e.spec.id), { y, codec, history: new DecoderHistory(s.decoderVersions ?? 4) });
    }
  }

  /**
   * The codecs a learner's contract lists (split point → ids), for a process that decodes for that
   * learner (an inference server): each starts untrained and takes its state from the learner's codec
   * topic (load). The learner validated the list, so lossy ones are allowed here.
   */
  static fromContract(model: PolicyModel, table: Readonly<Record<string, readonly string[]>>, decoderVersions = 4): SplitCodecs {
    const codecs = Object.entries(table).flatMap(([y, ids]) => ids.map((id) => `${id}@${y}`));
    return new SplitCodecs(model, { codecs, allowLossy: true, seed: 0, decoderVersions });
  }

  get size(): number {
    return this.byKey.size;
  }

  /** A published codec state (the learner's codec/<y>/<id>/ topic): loaded, and its decoder kept by version. */
  load(y: number, id: string, state: CodecState): void {
    const held = this.byKey.get(key(y, id));
    if (!held) throw new Error(`a codec state for "${id}" at split point ${y}, which the learner's contract does not list`);
    held.codec.load(state, `codec state of "${id}" at split point ${y}`);
    held.history.record(state.version, held.codec);
  }

  /** The codec with this id at y, or (no id) the first one held at y. */
  at(y: number, id?: string): FeatureCodec | undefined {
    if (id !== undefined) return this.byKey.get(key(y, id))?.codec;
    for (const e of this.byKey.values()) if (e.y === y) return e.codec;
    return undefined;
  }

  /** The main codec (trained on the forward path) and its split, if any. */
  main(): { y: number; codec: FeatureCodec } | undefined {
    return this.all()[0];
  }

  /** Every held codec with its split, main first. */
  all(): { y: number; codec: FeatureCodec }[] {
    return [...this.byKey.values()].map(({ y, codec }) => ({ y, codec }));
  }

  /** Codec ids held at y, in configuration order. */
  idsAt(y: number): string[] {
    return this.all()
      .filter((e) => e.y === y)
      .map((e) => e.codec.spec.id);
  }

  /** Split point → codec ids, for the contract. */
  table(): Record<string, string[]> | undefined {
    if (this.byKey.size === 0) return undefined;
    const out: Record<string, string[]> = {};
    for (const { y, codec } of this.byKey.values()) (out[String(y)] ??= []).push(codec.spec.id);
    return out;
  }

  /** A coded request as the float32 request the batcher takes; ProtocolError for anything wrong. */
  decode(req: StepRequest): StepRequest {
    const meta = req.codec!;
    const held = this.byKey.get(key(req.splitPoint, meta.id));
    const c = held?.codec;
    if (!c) {
      this.count('UNKNOWN_CODEC');
      const ids = this.idsAt(req.splitPoint);
      throw new ProtocolError(
        'UNKNOWN_CODEC',
        `StepRequest.codec "${meta.id}" at split point ${req.splitPoint}: this learner holds ${ids.length ? ids.map((h) => `"${h}"`).join(', ') : 'no codec'} there` +
          ` (distributed.codecs); send the codec the learner assigned (RegisterReply.codec, SplitPointChange.codec)`,
      );
    }
    if (meta.version > c.version) {
      this.count('UNKNOWN_CODEC');
      throw new ProtocolError('UNKNOWN_CODEC', `StepRequest.codec.version ${meta.version} is newer than the learner's ${c.version} for "${meta.id}"`);
    }
    // The decoder published with the encoder that coded it (exact); an older one than kept: the current.
    const decoder = c.decoder ? held.history.at(meta.version) : undefined;
    if (c.decoder && !decoder) this.inexactDecodes++;
    try {
      const payload = c.decode({ bytes: req.payload as Uint8Array, scale: meta.scale, offset: meta.offset }, req.numEnvs, decoder);
      return { ...req, dtype: 'float32', payload, codec: undefined };
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      this.count('BAD_CODE');
      throw new ProtocolError('BAD_LENGTH', `StepRequest.payload (codec "${meta.id}"): ${e.message}`);
    }
  }

  /** Folds encoder outputs of a batch of observations into each quantiser's running range. */
  observe(obs: tf.Tensor): void {
    for (const { y, codec: c } of this.byKey.values()) {
      if (c.spec.kind !== 'quant') continue;
      const z = readFloats(() => c.encodeTensor(this.model.head(obs, y)));
      c.range = updateRange(c.range, z);
    }
  }

  /** Marks every codec state as belonging to parameter version v (before publishing), and keeps that decoder. */
  stamp(v: number): void {
    for (const { codec, history } of this.byKey.values()) {
      codec.version = v;
      history.record(v, codec);
    }
  }

  /** Decoder versions kept for (y, id), oldest first. */
  decoderVersions(y: number, id: string): number[] {
    return this.byKey.get(key(y, id))?.history.versions ?? [];
  }

  states(): { y: number; id: string; state: CodecState }[] {
    return this.all().map(({ y, codec }) => ({ y, id: codec.spec.id, state: codec.state() }));
  }

  dispose(): void {
    for (const { codec, history } of this.byKey.values()) {
      codec.dispose();
      history.dispose();
    }
  }

  private count(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }
}
