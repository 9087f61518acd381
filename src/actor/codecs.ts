/** The feature codecs a contract asks an actor to encode with, one per listed split point. */
import { FeatureCodec } from '../codec/index.js';
import type { PolicyModel } from '../model/index.js';
import type { LearnerContract } from '../transport/index.js';

export function actorCodecs(c: LearnerContract, model: PolicyModel): Map<number, FeatureCodec> {
  const out = new Map<number, FeatureCodec>();
  for (const [key, id] of Object.entries(c.codecs ?? {})) {
    const y = Number(key);
    if (y < 1 || y >= model.K) throw new Error(`learner contract lists codec "${id}" at split point ${y}; codecs apply to 1..${model.K - 1}`);
    // Weights and range come from the learner's codec topic before the first coded step.
    out.set(y, new FeatureCodec(id, model.layers[y - 1].outShape));
  }
  return out;
}
