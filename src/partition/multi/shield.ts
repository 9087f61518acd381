import { addLoad, codecOf, emptyLoad, fits, LOCAL, isLocal, sameStrategy, type Strategy } from './cost.js';
import type { MultiInstance } from './instance.js';
import { strategyTimes } from './solvers.js';
import { strategies } from './cost.js';

/**
 * SROLE-style decentralised shields. Each actor proposes a strategy from its own policy, all at once;
 * the shield on each server sees only the requests aimed at it. It grants them in order of what they
 * gain over running locally (largest first; ties by actor index) while they fit its compute budget and
 * ingress; a request that collides is replaced by the nearest safe action on the same server
 * (the requester's fastest strategy there that still fits: a smaller rate, another codec or another split), or by
 * local execution (y = K), which holds nothing. A shield touches only its own server's resources, so
 * the shields need no coordination and the joint result never exceeds any budget.
 */
export interface ShieldResult {
  assignment: Strategy[];
  /** Requests a shield had to change (collisions resolved). */
  substituted: number;
  /** Of those, how many were sent to local execution. */
  sentLocal: number;
}

export function shieldActions(inst: MultiInstance, proposals: readonly Strategy[]): ShieldResult {
  if (proposals.length !== inst.actors.length)
    throw new RangeError(`shield: ${proposals.length} proposals for ${inst.actors.length} actors (one strategy per actor)`);
  const all = strategies(inst);
  const out = proposals.map((p) => ({ ...p }));
  let substituted = 0;
  let sentLocal = 0;
  for (let s = 0; s < inst.servers.length; s++) {
    const load = emptyLoad(inst);
    const requests = proposals
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => !isLocal(inst, p) && p.server === s)
      .map(({ p, i }) => {
        const times = strategyTimes(inst, i, all);
        const k = all.findIndex((x) => sameStrategy(x, p));
        if (k < 0)
          throw new RangeError(
            `shield: actor ${i}'s proposal (server ${p.server}, y ${p.y}, codec ${codecOf(p)}, q ${p.q}) is not a strategy of this instance`,
          );
        return { i, p, times, gain: times[0] - times[k] };
      })
      .sort((a, b) => b.gain - a.gain || a.i - b.i);
    for (const r of requests) {
      if (fits(inst, load, r.i, r.p)) {
        addLoad(inst, load, r.i, r.p);
        continue;
      }
      substituted++;
      let best = -1;
      for (let k = 1; k < all.length; k++)
        if (all[k].server === s && r.times[k] < r.times[0] && fits(inst, load, r.i, all[k]) && (best < 0 || r.times[k] < r.times[best])) best = k;
      out[r.i] = best < 0 ? LOCAL(inst) : { ...all[best] };
      if (best < 0) sentLocal++;
      addLoad(inst, load, r.i, out[r.i]);
    }
  }
  return { assignment: out, substituted, sentLocal };
}
