import type { PolicyModel } from '../model/index.js';
import { codecOptionsFor, type Layer, PLAIN } from '../partition/index.js';
import type { SplitCodecs } from './split-codecs.js';

/**
 * The network as every live planner sees it: a split where the learner holds feature codecs offers
 * each at its size and encoder/decoder FLOPs, and not float32 (the learner trains its codecs for the
 * actors there), so a strategy is (y, codec).
 */
export function plannerLayers(model: PolicyModel, codecs?: SplitCodecs): Layer[] {
  return model.layers.map((l, i) => {
    const ids = codecs?.idsAt(i + 1) ?? [];
    const layer = { name: l.name, flops: l.flops, outBytes: l.outBytes };
    return ids.length ? { ...layer, plain: false, codecs: codecOptionsFor(l.outShape, ids) } : layer;
  });
}

/** A planner's codec for the learner ('' = float32 or nothing sent). */
export const plannedCodec = (codec: string | undefined): string => (codec === undefined || codec === PLAIN ? '' : codec);
