/** The feature codecs a contract says the learner holds, one per (split point, codec id), keyed "<y>/<id>". */
import { FeatureCodec } from '../codec/index.js';
import type { PolicyModel } from '../model/index.js';
import { codecKey, type LearnerContract } from '../transport/index.js';

export function actorCodecs(c: LearnerContract, model: PolicyModel): Map<string, FeatureCodec> {
  const out = new Map<string, FeatureCodec>();
  for (const [key, ids] of Object.entries(c.codecs ?? {})) {
    const y = Number(key);
    if (y < 1 || y >= model.K) throw new Error(`learner contract lists codecs ${ids.join(', ')} at split point ${y}; codecs apply to 1..${model.K - 1}`);
    // Weights and range come from the learner's codec topic before the first coded step with it.
    for (const id of ids) out.set(codecKey(y, id), new FeatureCodec(id, model.layers[y - 1].outShape));
  }
  return out;
}
