import { describe, expect, it } from 'vitest';
import { markdown, summarise, type PlanSample } from '../experiments/planners/compare.js';

const s = (over: Partial<PlanSample>): PlanSample => ({
  planner: 'defp',
  servers: 2,
  actors: 10,
  latencyReduction: 0.3,
  energy: 1,
  violations: 0,
  planMs: 1,
  ...over,
});

describe('planner study bookkeeping', () => {
  it('averages per (planner, servers, actors) cell; infeasible share counts plans with any broken budget', () => {
    const cells = summarise([
      s({ latencyReduction: 0.2, planMs: 1 }),
      s({ latencyReduction: 0.4, planMs: 3 }),
      s({ planner: 'mahppo (no shield)', latencyReduction: 0.6, violations: 2, planMs: 0.5 }),
      s({ planner: 'mahppo (no shield)', latencyReduction: 0.5, violations: 0, planMs: 0.7 }),
    ]);
    expect(cells).toEqual([
      {
        planner: 'defp',
        servers: 2,
        actors: 10,
        instances: 2,
        meanLatencyReduction: 0.30000000000000004,
        infeasibleShare: 0,
        meanViolations: 0,
        medianPlanMs: 2,
      },
      {
        planner: 'mahppo (no shield)',
        servers: 2,
        actors: 10,
        instances: 2,
        meanLatencyReduction: 0.55,
        infeasibleShare: 0.5,
        meanViolations: 1,
        medianPlanMs: 0.6,
      },
    ]);
    expect(markdown(cells)).toContain('| 2 | 10 | mahppo (no shield) | 55.0% | 50% | 1.00 | 0.60 |');
  });
});
