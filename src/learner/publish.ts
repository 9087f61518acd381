/** What the learner publishes after an update: each subscriber's whole head in one message (params.ts). */
import { ALL_PARAMS_TOPIC, codecKey, codecStatesBlob, headTopic, type LayerBlob } from '../transport/index.js';
import type { PolicyModel } from '../model/index.js';
import type { ActorRegistry } from './actor-registry.js';
import type { SecureChannels } from './channels.js';
import type { SplitCodecs } from './split-codecs.js';

/**
 * One message per head a connected actor holds — headTopic(y, codec): layers 1..y and that codec's
 * state (encoder weights and quantiser range, versioned with the head) — counted for the actors on
 * it, and, while inference servers are connected, one with all K layers and every codec's state.
 * Heads nobody holds are not encoded at all.
 */
export async function publishParams(
  channels: SecureChannels,
  model: PolicyModel,
  registry: ActorRegistry,
  codecs: SplitCodecs,
  servers: number,
): Promise<void> {
  const v = model.version;
  codecs.stamp(v);
  const states = new Map(codecs.states().map(({ y, id, state }) => [codecKey(y, id), state]));
  const layers = new Map<number, LayerBlob>();
  const upTo = async (y: number): Promise<LayerBlob[]> => {
    const out: LayerBlob[] = [];
    for (let k = 1; k <= y; k++) {
      let b = layers.get(k);
      if (!b) layers.set(k, (b = { index: k, data: await model.getLayerWeights(k, k) }));
      out.push(b);
    }
    return out;
  };
  const heads = new Map<string, { y: number; codec: string }>();
  for (const a of registry.all()) if (a.ctx && a.splitPoint > 0) heads.set(headTopic(a.splitPoint, a.codec), { y: a.splitPoint, codec: a.codec });
  for (const [topic, { y, codec }] of heads) {
    const blobs = await upTo(y);
    if (codec !== '') {
      const state = states.get(codecKey(y, codec));
      if (!state) throw new Error(`an actor holds codec ${codec} at split point ${y}, which this learner does not have`);
      blobs.push(codecStatesBlob(new Map([[codecKey(y, codec), state]])));
    }
    const bytes = await channels.publish(topic, v, blobs);
    // Counted per actor as published to its topic: what its link carries.
    for (const a of registry.all()) if (a.ctx && a.splitPoint === y && a.codec === codec) a.paramBytes += bytes;
  }
  if (servers > 0) await channels.publish(ALL_PARAMS_TOPIC, v, [...(await upTo(model.K)), codecStatesBlob(states)]);
}
