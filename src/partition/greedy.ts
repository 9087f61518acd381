import { actorCosts, bestResponse, resourceTable } from './cost.js';
import type { PartitionInstance } from './instance.js';

/** Each actor, in the given order, takes its best response (Eq. 25) in what is left of the budgets. */
function bestResponseInOrder(inst: PartitionInstance, order: readonly number[]): number[] {
  const res = resourceTable(inst);
  const e = inst.edge;
  const assignment = new Array<number>(inst.actors.length).fill(res.local);
  let usedC = 0;
  let usedB = 0;
  for (const i of order) {
    const costs = actorCosts(inst, res, inst.actors[i]);
    const y = bestResponse(costs, res, e.computeBudget - usedC, e.bandwidthBudget - usedB, e.computeBudget, e.bandwidthBudget);
    assignment[i] = y;
    usedC += res.compute[y];
    usedB += res.bandwidth[y];
  }
  return assignment;
}

/** IGreedy (paper §4.2, "incremental greedy"): best response in arrival (instance) order, never revisited. Returns strategy indices. */
export function solveIGreedy(inst: PartitionInstance): number[] {
  return bestResponseInOrder(
    inst,
    inst.actors.map((_, i) => i),
  );
}

/**
 * OGreedy (offline greedy): sees every actor up front and lets the ones that can gain most (largest
 * unconstrained improvement max_y g_i(y)) choose first, each taking its best response in what is left.
 */
export function solveOGreedy(inst: PartitionInstance): number[] {
  const res = resourceTable(inst);
  const best = inst.actors.map((a) => {
    const c = actorCosts(inst, res, a);
    return c.gain[c.options[0]];
  });
  const order = inst.actors.map((_, i) => i).sort((a, b) => best[b] - best[a] || a - b);
  return bestResponseInOrder(inst, order);
}
