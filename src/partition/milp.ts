import highsImport from 'highs';
import { actorCosts, fitsBudget, resourceTable } from './cost.js';
import type { PartitionInstance } from './instance.js';

/**
 * The exact solver: the knapsack form of the problem (Eqs. 17–21) as a MILP solved by HiGHS.
 * Binary x_{i,s} for every candidate strategy s = (y < K, codec) of actor i (strategies with no gain
 * or dominated by another of the same actor are left out: they change no optimum); the local strategy
 * is the slack of Σ_s x_{i,s} <= 1. Without codecs s is the split point y. Rows are scaled by the budgets and the objective by the largest gain so that
 * HiGHS sees coefficients of order 1.
 */

export interface MilpOptions {
  /** HiGHS relative MIP gap; 0 proves optimality exactly. Default 1e-6. */
  relGap?: number;
  /** Wall-clock limit in seconds; on hitting it the best solution found so far is returned. */
  timeLimitSec?: number;
}

export interface MilpResult {
  assignment: number[];
  /** HiGHS model status, e.g. "Optimal" or "Time limit reached". */
  status: string;
  /** True when HiGHS proved the assignment optimal (within relGap). */
  optimal: boolean;
  variables: number;
}

// highs ships ESM at runtime (a default-exported loader) but CJS-flavoured typings, under which
// TypeScript sees the loader one `.default` deeper: accept both shapes.
type HighsLoader = typeof highsImport.default;
export type Highs = Awaited<ReturnType<HighsLoader>>;
const highsLoader: HighsLoader = (highsImport as unknown as { default?: HighsLoader }).default ?? (highsImport as unknown as HighsLoader);
let highsPromise: Promise<Highs> | undefined;

/** HiGHS is a wasm module: load it once per process (solve times exclude this one-off load). */
export function loadHighs(): Promise<Highs> {
  highsPromise ??= highsLoader();
  return highsPromise;
}

/** Builds the CPLEX-LP text and the variable list (exported for tests and inspection). */
export function buildMilp(inst: PartitionInstance): { lp: string; vars: { name: string; actor: number; y: number }[] } {
  const res = resourceTable(inst);
  const { computeBudget: Rc, bandwidthBudget: Rb } = inst.edge;
  const vars: { name: string; actor: number; y: number; gain: number }[] = [];
  inst.actors.forEach((a, i) => {
    const c = actorCosts(inst, res, a);
    for (const y of c.options) {
      if (y === res.local) continue;
      if (!fitsBudget(res.compute[y], Rc) || !fitsBudget(res.bandwidth[y], Rb)) continue;
      vars.push({ name: `x${i}_${y}`, actor: i, y, gain: c.gain[y] });
    }
  });
  const gmax = vars.reduce((m, v) => Math.max(m, v.gain), 0) || 1;
  const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(15));
  const lines: string[] = ['Maximize'];
  // LP-format readers limit line length: emit long sums a few terms per line.
  const sum = (terms: string[]): string[] => {
    const out: string[] = [];
    for (let k = 0; k < terms.length; k += 8) out.push('  ' + terms.slice(k, k + 8).join(' + '));
    return out.length ? out : ['  0 xdummy'];
  };
  lines.push(' obj:', ...sum(vars.map((v) => `${num(v.gain / gmax)} ${v.name}`)));
  lines.push('Subject To');
  const perActor = new Map<number, string[]>();
  for (const v of vars) {
    if (!perActor.has(v.actor)) perActor.set(v.actor, []);
    perActor.get(v.actor)!.push(v.name);
  }
  for (const [i, names] of perActor) if (names.length > 1) lines.push(` one${i}:`, ...sum(names), '  <= 1');
  const row = (label: string, use: Float64Array, budget: number) => {
    const terms = vars.filter((v) => use[v.y] > 0).map((v) => `${num(use[v.y] / budget)} ${v.name}`);
    if (terms.length) lines.push(` ${label}:`, ...sum(terms), '  <= 1');
  };
  if (Rc > 0) row('compute', res.compute, Rc);
  if (Rb > 0) row('bandwidth', res.bandwidth, Rb);
  lines.push('Binary', ...sum(vars.map((v) => v.name)).map((l) => l.replaceAll(' + ', ' ')), 'End');
  return { lp: lines.join('\n'), vars };
}

export async function solveMilp(inst: PartitionInstance, options: MilpOptions = {}): Promise<MilpResult> {
  const { lp, vars } = buildMilp(inst);
  const assignment = new Array<number>(inst.actors.length).fill(resourceTable(inst).local);
  if (vars.length === 0) return { assignment, status: 'Optimal', optimal: true, variables: 0 };
  const highs = await loadHighs();
  const sol = highs.solve(lp, {
    mip_rel_gap: options.relGap ?? 1e-6,
    mip_feasibility_tolerance: 1e-9,
    primal_feasibility_tolerance: 1e-9,
    output_flag: false,
    ...(options.timeLimitSec !== undefined ? { time_limit: options.timeLimitSec } : {}),
  });
  const status = String(sol.Status);
  const hasSolution = status === 'Optimal' || status === 'Time limit reached' || status === 'Iteration limit reached';
  if (!hasSolution) throw new Error(`HiGHS could not solve the partition MILP: status "${status}"`);
  for (const v of vars) {
    const col = sol.Columns[v.name] as { Primal?: number } | undefined;
    if (col?.Primal !== undefined && col.Primal > 0.5) assignment[v.actor] = v.y;
  }
  return { assignment, status, optimal: status === 'Optimal', variables: vars.length };
}
