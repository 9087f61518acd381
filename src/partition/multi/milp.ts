import { loadHighs, type Highs } from '../milp.js';
import { rate, serverCost, strategies, type Strategy } from './cost.js';
import type { MultiInstance } from './instance.js';
import { strategyTimes } from './solvers.js';

/**
 * The exact multi-server reference: binary x_{i,(s,y,codec,q)} per actor and non-local strategy that beats
 * local (slower ones never help: local holds nothing), Σ x_{i,·} <= 1 (the slack is local), and per
 * server Σ (C_e(y) + decoder)·x <= R_c^s and Σ rate·x <= B_s. Maximises Σ gain = Σ (T_i(local) − T_i), scaled to O(1).
 */
export function buildMultiMilp(inst: MultiInstance): { lp: string; vars: { name: string; actor: number; strategy: Strategy }[] } {
  const all = strategies(inst);
  const vars: { name: string; actor: number; strategy: Strategy; gain: number }[] = [];
  inst.actors.forEach((_, i) => {
    const t = strategyTimes(inst, i, all);
    for (let k = 1; k < all.length; k++) {
      const s = all[k];
      const srv = inst.servers[s.server];
      if (t[k] >= t[0] || serverCost(inst, s) > srv.computeBudget * (1 + 1e-9) || rate(inst, inst.actors[i], s) > srv.ingressBytesPerSec * (1 + 1e-9)) continue;
      // k names the strategy (codec ids are not LP names).
      vars.push({ name: `x${i}_${k}`, actor: i, strategy: s, gain: t[0] - t[k] });
    }
  });
  const gmax = vars.reduce((m, v) => Math.max(m, v.gain), 0) || 1;
  const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(15));
  const sum = (terms: string[]): string[] => {
    const out: string[] = [];
    for (let k = 0; k < terms.length; k += 8) out.push('  ' + terms.slice(k, k + 8).join(' + '));
    return out.length ? out : ['  0 xdummy'];
  };
  const lines = ['Maximize', ' obj:', ...sum(vars.map((v) => `${num(v.gain / gmax)} ${v.name}`)), 'Subject To'];
  const byActor = new Map<number, string[]>();
  for (const v of vars) byActor.set(v.actor, [...(byActor.get(v.actor) ?? []), v.name]);
  for (const [i, names] of byActor) if (names.length > 1) lines.push(` one${i}:`, ...sum(names), '  <= 1');
  inst.servers.forEach((srv, s) => {
    const on = vars.filter((v) => v.strategy.server === s);
    if (on.length === 0) return;
    const compute = on.filter((v) => serverCost(inst, v.strategy) > 0);
    if (compute.length && srv.computeBudget > 0)
      lines.push(` compute${s}:`, ...sum(compute.map((v) => `${num(serverCost(inst, v.strategy) / srv.computeBudget)} ${v.name}`)), '  <= 1');
    const r = (v: (typeof on)[number]) => rate(inst, inst.actors[v.actor], v.strategy) / srv.ingressBytesPerSec;
    lines.push(` ingress${s}:`, ...sum(on.map((v) => `${num(r(v))} ${v.name}`)), '  <= 1');
  });
  lines.push('Binary', ...sum(vars.map((v) => v.name)).map((l) => l.replaceAll(' + ', ' ')), 'End');
  return { lp: lines.join('\n'), vars };
}

export interface MultiMilpResult {
  assignment: Strategy[];
  status: string;
  optimal: boolean;
  variables: number;
}

export async function solveMultiMilp(inst: MultiInstance, opts: { timeLimitSec?: number; relGap?: number } = {}): Promise<MultiMilpResult> {
  return solveMultiMilpWith(await loadHighs(), inst, opts);
}

/** The same solve with HiGHS already loaded: synchronous, for the learner's live planner (distributed.serverAssign: plan). */
export function solveMultiMilpWith(highs: Highs, inst: MultiInstance, opts: { timeLimitSec?: number; relGap?: number } = {}): MultiMilpResult {
  const K = inst.layers.length;
  const { lp, vars } = buildMultiMilp(inst);
  const assignment: Strategy[] = inst.actors.map(() => ({ server: -1, y: K, q: 0 }));
  if (vars.length === 0) return { assignment, status: 'Optimal', optimal: true, variables: 0 };
  const sol = highs.solve(lp, {
    mip_rel_gap: opts.relGap ?? 1e-6,
    mip_feasibility_tolerance: 1e-9,
    primal_feasibility_tolerance: 1e-9,
    output_flag: false,
    ...(opts.timeLimitSec !== undefined ? { time_limit: opts.timeLimitSec } : {}),
  });
  const status = String(sol.Status);
  if (status !== 'Optimal' && status !== 'Time limit reached') throw new Error(`HiGHS could not solve the multi-server MILP: status "${status}"`);
  for (const v of vars) {
    const col = sol.Columns[v.name] as { Primal?: number } | undefined;
    if (col?.Primal !== undefined && col.Primal > 0.5) assignment[v.actor] = v.strategy;
  }
  return { assignment, status, optimal: status === 'Optimal', variables: vars.length };
}
