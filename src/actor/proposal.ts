import { askAsActor, parsePlannerCheckpoint } from '../partition/multi/mahppo/checkpoint.js';
import type { DeviceProfile, LearnerContract } from '../transport/index.js';

/** A link an actor did not measure counts as unlimited, as the learner's planners price it. */
const UNLIMITED = 1e18;

/**
 * Decentralised planning (SROLE-style shielded MARL): the actor runs the learner's policy on its own
 * observation (its FLOP/s and link, the network, what the learner broadcast) and asks for the result.
 * The learner's shield grants the request or substitutes a safe one. Without a measured FLOP/s the
 * actor has nothing of its own to decide on and leaves the proposal to the learner (undefined).
 */
export function proposeSplit(planning: NonNullable<LearnerContract['planning']>, profile: DeviceProfile): DeviceProfile['proposal'] {
  if (profile.flops === undefined) return undefined;
  const checkpoint = parsePlannerCheckpoint(planning.checkpoint, "the learner contract's planning.checkpoint");
  const base = planning.instance;
  if (typeof base !== 'object' || base === null || Array.isArray(base))
    throw new Error("the learner contract's planning.instance is not an object (a planning instance without actors)");
  // The actors registered before this one, and this one.
  const s = askAsActor(
    checkpoint,
    base,
    { flops: profile.flops, link: profile.linkBytesPerSec ?? UNLIMITED },
    planning.actors + 1,
    "the learner contract's planning.instance",
  );
  // Servers come and go: name the one asked for, the index alone could point at another by the time the learner reads it.
  const serverId = s.server >= 0 ? (base as { servers: { id: string }[] }).servers[s.server].id : undefined;
  return { server: s.server, y: s.y, q: s.q, ...(s.codec !== undefined ? { codec: s.codec } : {}), ...(serverId !== undefined ? { serverId } : {}) };
}
