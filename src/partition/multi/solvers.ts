import { addLoad, codecOf, emptyLoad, fits, LOCAL, responseTime, serverLoad, strategies, type ServerLoad, type Strategy } from './cost.js';
import type { MultiInstance } from './instance.js';

/**
 * The analytic multi-server planners (pure). Every actor's best response is the fastest strategy that
 * still fits on top of everyone else's load; local (y = K) always fits, so every planner is feasible.
 */

/** One actor's response times for every strategy, in the order of `strategies(inst)`. */
export function strategyTimes(inst: MultiInstance, i: number, all = strategies(inst)): Float64Array {
  return Float64Array.from(all, (s) => responseTime(inst, inst.actors[i], s));
}

/** Index into `all` of actor i's fastest strategy that fits on `load` (ties: the earlier strategy). */
export function bestResponse(inst: MultiInstance, i: number, load: ServerLoad, times: Float64Array, all: readonly Strategy[]): number {
  let best = 0; // local
  for (let k = 1; k < all.length; k++) if (times[k] < times[best] && fits(inst, load, i, all[k])) best = k;
  return best;
}

/** Greedy: actors that can gain most (unconstrained) choose first, each its best response, never revisited. */
export function solveMultiGreedy(inst: MultiInstance): Strategy[] {
  const all = strategies(inst);
  const times = inst.actors.map((_, i) => strategyTimes(inst, i, all));
  const gain = times.map((t) => t[0] - Math.min(...t));
  const order = inst.actors.map((_, i) => i).sort((a, b) => gain[b] - gain[a] || a - b);
  const load = emptyLoad(inst);
  const out: Strategy[] = inst.actors.map(() => LOCAL(inst));
  for (const i of order) {
    out[i] = all[bestResponse(inst, i, load, times[i], all)];
    addLoad(inst, load, i, out[i]);
  }
  return out;
}

export interface BestResponseResult {
  assignment: Strategy[];
  /** Rounds over all actors until nobody moved (or the cap). */
  rounds: number;
  converged: boolean;
}

/**
 * DEFP's dynamics on several servers: from a start (greedy by default), actors in turn switch to their
 * best response given the others' load until no actor moves. A move lowers the mover's T_i and leaves
 * every other T_j unchanged (budgets constrain, they do not price), so Σ T_i is an exact potential that
 * strictly falls: the dynamics stop at a Nash equilibrium after finitely many moves.
 */
export function solveMultiDefp(inst: MultiInstance, opts: { start?: readonly Strategy[]; maxRounds?: number } = {}): BestResponseResult {
  const all = strategies(inst);
  const key = (s: Strategy) => `${s.server}/${s.y}/${codecOf(s)}/${s.q}`;
  const index = new Map(all.map((s, k) => [key(s), k]));
  const times = inst.actors.map((_, i) => strategyTimes(inst, i, all));
  const cur = (opts.start ?? solveMultiGreedy(inst)).map((s, i) => {
    const k = index.get(key(s));
    if (k === undefined) throw new RangeError(`solveMultiDefp: start[${i}] (${key(s)}) is not a strategy of this instance`);
    return k;
  });
  const load = serverLoad(
    inst,
    cur.map((k) => all[k]),
  );
  const maxRounds = opts.maxRounds ?? 100;
  for (let round = 1; round <= maxRounds; round++) {
    let moved = false;
    for (let i = 0; i < inst.actors.length; i++) {
      addLoad(inst, load, i, all[cur[i]], -1);
      const k = bestResponse(inst, i, load, times[i], all);
      if (times[i][k] < times[i][cur[i]] * (1 - 1e-12)) {
        cur[i] = k;
        moved = true;
      }
      addLoad(inst, load, i, all[cur[i]]);
    }
    if (!moved) return { assignment: cur.map((k) => all[k]), rounds: round, converged: true };
  }
  return { assignment: cur.map((k) => all[k]), rounds: maxRounds, converged: false };
}

/** Joint strategies the exhaustive search may visit before it refuses. */
export const MULTI_BRUTE_FORCE_LIMIT = 2_000_000;

/** The exact optimum by exhaustive search (tiny instances: the tests' reference for the MILP). */
export function solveMultiBruteForce(inst: MultiInstance): Strategy[] {
  const all = strategies(inst);
  const n = inst.actors.length;
  if (all.length ** n > MULTI_BRUTE_FORCE_LIMIT)
    throw new RangeError(`${all.length}^${n} joint strategies exceed the brute-force limit ${MULTI_BRUTE_FORCE_LIMIT}: use the MILP`);
  const times = inst.actors.map((_, i) => strategyTimes(inst, i, all));
  const pick = new Array<number>(n).fill(0);
  let best = pick.slice();
  let bestT = Infinity;
  const load = emptyLoad(inst);
  const visit = (i: number, t: number): void => {
    if (t >= bestT) return;
    if (i === n) {
      bestT = t;
      best = pick.slice();
      return;
    }
    for (let k = 0; k < all.length; k++) {
      if (!fits(inst, load, i, all[k])) continue;
      pick[i] = k;
      addLoad(inst, load, i, all[k]);
      visit(i + 1, t + times[i][k]);
      addLoad(inst, load, i, all[k], -1);
    }
  };
  visit(0, 0);
  return best.map((k) => all[k]);
}
