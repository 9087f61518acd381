import { codecOf, sameStrategy, strategies, type MultiInstance, type Strategy } from '../partition/multi/index.js';
import { type DeviceProfile, ProtocolError } from '../transport/index.js';

/** The policy weights an actor needs to propose (the critic stays with the learner). */
export const POLICY_WEIGHTS = /^(a1|a2|server|split|codec|mu)\./;

/** A checkpoint's weights without the critic's: what the Contract reply carries to proposing actors. */
export const policyWeights = (weights: Readonly<Record<string, readonly number[]>>): Record<string, readonly number[]> =>
  Object.fromEntries(Object.entries(weights).filter(([k]) => POLICY_WEIGHTS.test(k)));

/**
 * An actor's own request (Hello.profile.proposal) as a strategy of `inst` (the plan's instance with
 * that actor alone), refused by name when it is not one: a hostile or stale request never reaches the
 * shield. `server` is resolved by the caller (several servers: from the request's serverId).
 */
export function checkedRequest(inst: MultiInstance, p: NonNullable<DeviceProfile['proposal']>, server: number): Strategy {
  const s: Strategy = { server, y: p.y, q: p.q, ...(p.codec ? { codec: p.codec } : {}) };
  if (!strategies(inst).some((x) => sameStrategy(x, s)))
    throw new ProtocolError(
      'BAD_FIELD',
      `Hello.profile.proposal (server ${s.server}, y ${s.y}, codec ${codecOf(s)}, share ${s.q}) is not a strategy of this learner's plan ` +
        `(server 0..${inst.servers.length - 1} or −1 with y = K, y ≤ ${inst.layers.length}, share 1..${inst.shareLevels}, a codec offered at y): propose from the learner's Contract reply`,
    );
  return s;
}
