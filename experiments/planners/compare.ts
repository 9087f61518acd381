/** Planner comparison on multi-server instances (issue 21, item 5): pure bookkeeping, tested. */
import { evaluateMulti, LOCAL, type MultiInstance, type Strategy } from '../../src/partition/multi/index.js';

export interface PlanSample {
  planner: string;
  servers: number;
  actors: number;
  /** Σ (T_local − T) / Σ T_local: the share of all-local latency the plan saves. */
  latencyReduction: number;
  energy: number;
  violations: number;
  planMs: number;
}

export function sample(inst: MultiInstance, planner: string, assignment: readonly Strategy[], planMs: number): PlanSample {
  const local = evaluateMulti(
    inst,
    inst.actors.map(() => LOCAL(inst)),
  );
  const ev = evaluateMulti(inst, assignment);
  return {
    planner,
    servers: inst.servers.length,
    actors: inst.actors.length,
    latencyReduction: ev.latencyReduction / local.objective,
    energy: ev.energy,
    violations: ev.violations.length,
    planMs,
  };
}

export interface CellSummary {
  planner: string;
  servers: number;
  actors: number;
  instances: number;
  meanLatencyReduction: number;
  /** Share of instances where the plan broke some server's budget. */
  infeasibleShare: number;
  meanViolations: number;
  medianPlanMs: number;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function summarise(samples: readonly PlanSample[]): CellSummary[] {
  const cells = new Map<string, PlanSample[]>();
  for (const s of samples) {
    const k = `${s.planner}|${s.servers}|${s.actors}`;
    cells.set(k, [...(cells.get(k) ?? []), s]);
  }
  return [...cells.values()].map((ss) => ({
    planner: ss[0].planner,
    servers: ss[0].servers,
    actors: ss[0].actors,
    instances: ss.length,
    meanLatencyReduction: ss.reduce((a, s) => a + s.latencyReduction, 0) / ss.length,
    infeasibleShare: ss.filter((s) => s.violations > 0).length / ss.length,
    meanViolations: ss.reduce((a, s) => a + s.violations, 0) / ss.length,
    medianPlanMs: median(ss.map((s) => s.planMs)),
  }));
}

export function markdown(cells: readonly CellSummary[]): string {
  const rows = cells.map(
    (c) =>
      `| ${c.servers} | ${c.actors} | ${c.planner} | ${(100 * c.meanLatencyReduction).toFixed(1)}% | ${(100 * c.infeasibleShare).toFixed(0)}% | ${c.meanViolations.toFixed(2)} | ${c.medianPlanMs.toFixed(2)} |`,
  );
  return [
    '| servers | actors | planner | latency saved vs all-local | infeasible plans | budget lines broken (mean) | plan time (ms, median) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
