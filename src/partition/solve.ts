import { solveDefp } from './defp.js';
import { resourceTable } from './cost.js';
import { evaluateAssignment } from './feasibility.js';
import { solveIGreedy, solveOGreedy } from './greedy.js';
import type { PartitionInstance } from './instance.js';
import { loadHighs, solveMilp, type MilpOptions } from './milp.js';

export const ALGORITHMS = ['defp', 'igreedy', 'ogreedy', 'milp'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export function isAlgorithm(x: string): x is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(x);
}

export interface PartitionResult {
  algorithm: Algorithm;
  /** Split point y_i of each actor, in instance order. */
  assignment: number[];
  /** Codec of each actor ('f32' = none: float32, or the raw observation at y = 0). */
  codecs: string[];
  /** Strategy index of each actor (into resourceTable(inst).strategies; = y without codecs). */
  strategies: number[];
  /** Σ T_i(y_i), seconds. */
  objective: number;
  /** Σ (T_i(K) − T_i(y_i)), seconds. */
  latencyReduction: number;
  feasible: boolean;
  /** Wall-clock solve time, excluding the feasibility check. */
  solveMs: number;
  computeUsed: number;
  bandwidthUsed: number;
  /** Broken constraints when infeasible (should never happen: every solver is checked). */
  violations: string[];
  /** Solver-specific details: DEFP passes, MILP status/optimality. */
  details: Record<string, unknown>;
}

export interface SolveOptions {
  /** DEFP improvement passes after the arrivals (default 10). */
  defpPasses?: number;
  milp?: MilpOptions;
}

/** Runs one solver and checks its result with the shared feasibility check. */
export async function solvePartition(inst: PartitionInstance, algorithm: Algorithm, options: SolveOptions = {}): Promise<PartitionResult> {
  if (algorithm === 'milp') await loadHighs(); // one-off wasm load, not part of the solve time
  const t0 = performance.now();
  let assignment: number[];
  let details: Record<string, unknown> = {};
  switch (algorithm) {
    case 'defp': {
      const r = solveDefp(inst, { maxPasses: options.defpPasses });
      assignment = r.assignment;
      details = { passes: r.passes, pairEvaluations: r.pairEvaluations };
      break;
    }
    case 'igreedy':
      assignment = solveIGreedy(inst);
      break;
    case 'ogreedy':
      assignment = solveOGreedy(inst);
      break;
    case 'milp': {
      const r = await solveMilp(inst, options.milp);
      assignment = r.assignment;
      details = { status: r.status, optimal: r.optimal, variables: r.variables };
      break;
    }
  }
  const solveMs = performance.now() - t0;
  const table = resourceTable(inst).strategies;
  const split = assignment.map((s) => table[s].y);
  const codecs = assignment.map((s) => table[s].codec);
  const ev = evaluateAssignment(inst, split, codecs);
  return {
    algorithm,
    assignment: split,
    codecs,
    strategies: assignment,
    objective: ev.objective,
    latencyReduction: ev.latencyReduction,
    feasible: ev.feasible,
    solveMs,
    computeUsed: ev.computeUsed,
    bandwidthUsed: ev.bandwidthUsed,
    violations: ev.violations,
    details,
  };
}
