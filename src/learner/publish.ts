/** What the learner publishes after an update: each layer on its own topic, and each codec's state. */
import { codecTopic, paramTopic } from '../transport/index.js';
import type { PolicyModel } from '../model/index.js';
import type { ActorRegistry } from './actor-registry.js';
import type { SecureChannels } from './channels.js';
import type { SplitCodecs } from './split-codecs.js';

/**
 * Layer k on topic params/k-k, so an actor at split point y takes only layers 1..y; the state of each
 * codec (y, id) (encoder weights and quantiser range, versioned with the head) on codec/<y>/<id>/ as
 * one JSON blob, counted for the actors that use that codec.
 */
export async function publishParams(channels: SecureChannels, model: PolicyModel, registry: ActorRegistry, codecs: SplitCodecs): Promise<void> {
  const v = model.version;
  for (let k = 1; k <= model.K; k++) {
    const bytes = await channels.publish(paramTopic(k, k), v, [{ index: k, data: await model.getLayerWeights(k, k) }]);
    // Counted per actor as published to its topics (layers 1..y): what its link carries.
    for (const a of registry.all()) if (a.ctx && a.splitPoint >= k) a.paramBytes += bytes;
  }
  codecs.stamp(v);
  for (const { y, id, state } of codecs.states()) {
    const bytes = await channels.publish(codecTopic(y, id), v, [{ index: y, data: new TextEncoder().encode(JSON.stringify(state)) }]);
    for (const a of registry.all()) if (a.ctx && a.splitPoint === y && a.codec === id) a.paramBytes += bytes;
  }
}
