import { fitsBudget } from '../cost.js';
import { addLoad, checkStrategy, emptyLoad, energy, responseTime, LOCAL, type Strategy } from './cost.js';
import type { MultiInstance } from './instance.js';

/** What a joint multi-server assignment costs and whether it respects every server's budgets. */
export interface MultiEvaluation {
  /** Σ_i T_i (seconds per step, all actors). */
  objective: number;
  /** Σ_i (T_i(local) − T_i): what planning bought. */
  latencyReduction: number;
  /** Σ_i E_i (joules per step). */
  energy: number;
  compute: number[];
  ingress: number[];
  feasible: boolean;
  /** One line per broken constraint; empty when feasible. */
  violations: string[];
}

/** The one check every multi-server planner's result (and the shield's) goes through. */
export function evaluateMulti(inst: MultiInstance, assignment: readonly Strategy[]): MultiEvaluation {
  const violations: string[] = [];
  if (assignment.length !== inst.actors.length) violations.push(`assignment has ${assignment.length} entries for ${inst.actors.length} actors`);
  let objective = 0;
  let latencyReduction = 0;
  let joules = 0;
  const valid: Strategy[] = [];
  const validIdx: number[] = [];
  for (let i = 0; i < Math.min(assignment.length, inst.actors.length); i++) {
    const a = inst.actors[i];
    try {
      checkStrategy(inst, assignment[i]);
    } catch (e) {
      violations.push(`actor ${String(a.id)}: ${(e as Error).message}`);
      continue;
    }
    valid.push(assignment[i]);
    validIdx.push(i);
    const t = responseTime(inst, a, assignment[i]);
    objective += t;
    latencyReduction += responseTime(inst, a, LOCAL(inst)) - t;
    joules += energy(inst, a, assignment[i]);
  }
  const load = emptyLoad(inst);
  valid.forEach((s, k) => addLoad(inst, load, validIdx[k], s));
  inst.servers.forEach((srv, s) => {
    if (!fitsBudget(load.compute[s], srv.computeBudget))
      violations.push(`server ${srv.id}: compute ${load.compute[s]} FLOPs per round exceeds its computeBudget ${srv.computeBudget}`);
    if (!fitsBudget(load.ingress[s], srv.ingressBytesPerSec))
      violations.push(`server ${srv.id}: committed rates ${load.ingress[s].toFixed(0)} B/s exceed its ingress ${srv.ingressBytesPerSec} B/s`);
  });
  return { objective, latencyReduction, energy: joules, ...load, feasible: violations.length === 0, violations };
}

/** Number of servers whose budgets an assignment breaks (what the shield drives to 0). */
export function countViolations(inst: MultiInstance, assignment: readonly Strategy[]): number {
  return evaluateMulti(inst, assignment).violations.length;
}
