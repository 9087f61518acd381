import { fitsBudget, resourceTable, strategyTime } from './cost.js';
import type { PartitionInstance } from './instance.js';
import { PLAIN, strategyIndex } from './strategies.js';

/** What an assignment costs and whether it respects Eqs. 9–11. */
export interface Evaluation {
  /** Σ_i T_i(y_i), Eq. 8 (seconds). */
  objective: number;
  /** Σ_i (T_i(K) − T_i(y_i)) = −Σ u_i (seconds). */
  latencyReduction: number;
  computeUsed: number;
  bandwidthUsed: number;
  feasible: boolean;
  /** Why it is infeasible, one line per broken constraint; empty when feasible. */
  violations: string[];
}

/**
 * The one feasibility check every solver's result goes through: one split point in 0..K per actor
 * (Eq. 9), Σ C_e(y_i) <= R_c (Eq. 10) and Σ δ·b_{y_i} <= R_b (Eq. 11) up to the shared tolerance.
 * `codecs[i]` is actor i's codec ('f32', the default, = none); it must be offered at y_i.
 */
export function evaluateAssignment(inst: PartitionInstance, assignment: readonly number[], codecs?: readonly string[]): Evaluation {
  const K = inst.layers.length;
  const res = resourceTable(inst);
  const violations: string[] = [];
  if (assignment.length !== inst.actors.length) {
    violations.push(`assignment has ${assignment.length} entries for ${inst.actors.length} actors`);
  }
  let objective = 0;
  let latencyReduction = 0;
  let computeUsed = 0;
  let bandwidthUsed = 0;
  const n = Math.min(assignment.length, inst.actors.length);
  for (let i = 0; i < n; i++) {
    const y = assignment[i];
    if (!Number.isInteger(y) || y < 0 || y > K) {
      violations.push(`actor ${String(inst.actors[i].id)}: split point ${y} is not an integer in 0..${K}`);
      continue;
    }
    let s: number;
    try {
      s = strategyIndex(res.strategies, y, codecs?.[i] ?? PLAIN);
    } catch (e) {
      violations.push(`actor ${String(inst.actors[i].id)}: ${(e as Error).message}`);
      continue;
    }
    const t = strategyTime(inst, inst.actors[i], res.strategies[s]);
    objective += t;
    latencyReduction += strategyTime(inst, inst.actors[i], res.strategies[res.local]) - t;
    computeUsed += res.compute[s];
    bandwidthUsed += res.bandwidth[s];
  }
  if (!fitsBudget(computeUsed, inst.edge.computeBudget)) {
    violations.push(`learner compute ${computeUsed} FLOPs exceeds computeBudget ${inst.edge.computeBudget}`);
  }
  if (!fitsBudget(bandwidthUsed, inst.edge.bandwidthBudget)) {
    violations.push(`learner bandwidth ${bandwidthUsed} exceeds bandwidthBudget ${inst.edge.bandwidthBudget}`);
  }
  return { objective, latencyReduction, computeUsed, bandwidthUsed, feasible: violations.length === 0, violations };
}
