import { actorCosts, fitsBudget, resourceTable } from './cost.js';
import type { PartitionInstance } from './instance.js';

/** Largest search space brute force accepts: (S)^N strategy assignments. */
export const BRUTE_FORCE_LIMIT = 2_000_000;

/**
 * Exhaustive search over every strategy (y, codec) per actor (no pruning by dominance, so it also checks
 * that the solvers' candidate pruning loses nothing). For tests on tiny instances only.
 */
export function solveBruteForce(inst: PartitionInstance): { assignment: number[]; latencyReduction: number } {
  const res = resourceTable(inst);
  const K = res.local; // the local strategy: every strategy is 0..K
  const N = inst.actors.length;
  const space = Math.pow(K + 1, N);
  if (space > BRUTE_FORCE_LIMIT) {
    throw new RangeError(`brute force would enumerate S^N = ${space} strategy assignments (limit ${BRUTE_FORCE_LIMIT}); use the MILP solver`);
  }
  const gains = inst.actors.map((a) => actorCosts(inst, res, a).gain);
  const cur = new Array<number>(N).fill(K);
  let best = { assignment: cur.slice(), latencyReduction: 0 };
  const rec = (i: number, usedC: number, usedB: number, value: number): void => {
    if (!fitsBudget(usedC, inst.edge.computeBudget) || !fitsBudget(usedB, inst.edge.bandwidthBudget)) return;
    if (i === N) {
      if (value > best.latencyReduction) best = { assignment: cur.slice(), latencyReduction: value };
      return;
    }
    for (let y = 0; y <= K; y++) {
      cur[i] = y;
      rec(i + 1, usedC + res.compute[y], usedB + res.bandwidth[y], value + gains[i][y]);
    }
    cur[i] = K;
  };
  rec(0, 0, 0, 0);
  return best;
}
