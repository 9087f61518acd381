import { describe, expect, it } from 'vitest';
import { markdown, summarise, type PlanSample } from '../experiments/planners/compare.js';
import { measureReplans, replanEvents } from '../experiments/planners/replan.js';
import { LOCAL, parseMultiInstance, responseTime, solveMultiDefp } from '../src/partition/multi/index.js';

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

describe('re-planning study bookkeeping (experiments/planners/replan.ts)', () => {
  // Two servers; server 1 is faster but its budget holds one actor at y = 0 (2 layers of 1e6 FLOPs).
  const inst = parseMultiInstance({
    inputBytes: 1000,
    layers: [
      { name: 'l1', flops: 1e6, outBytes: 500 },
      { name: 'l2', flops: 1e6, outBytes: 10 },
    ],
    servers: [
      { id: 's0', flops: 1e9, computeBudget: 1e9, ingressBytesPerSec: 1e9 },
      { id: 's1', flops: 1e10, computeBudget: 2e6, ingressBytesPerSec: 1e9 },
    ],
    actors: [0, 1, 2].map((id) => ({ id, flops: 1e7, links: [1e7, 1e7] })),
  });
  const plan = solveMultiDefp(inst).assignment;

  it('builds the four events with the previous plan mapped onto the new instance', () => {
    const evs = replanEvents(inst, plan);
    expect(evs.map((e) => e.event)).toEqual(['actor leave', 'actor join', 'server leave', 'server join']);
    const [leave, join, srvLeave, srvJoin] = evs;
    expect(leave.after.actors).toHaveLength(2);
    expect(leave.kept).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(join.start.at(-1)).toEqual(LOCAL(inst));
    // Without the last server nobody starts on it, and every link list lost its last rate.
    expect(srvLeave.start.every((s) => s.server !== 1)).toBe(true);
    expect(srvLeave.after.actors.every((a) => a.links.length === 1)).toBe(true);
    expect(srvJoin.previous).toEqual(srvLeave.start);
  });

  it('warm DEFP moves nobody when an actor joins; settle = solve + the slowest move in the cost model', async () => {
    const onS1 = plan.filter((s) => s.server === 1).length;
    expect(onS1).toBe(1);
    const rows = await measureReplans(inst, {
      defp: { plan, solve: (i, start) => solveMultiDefp(i, { start }).assignment },
      allLocal: { plan, solve: (i) => i.actors.map(() => LOCAL(i)) },
    });
    const row = (planner: string, event: string) => rows.find((r) => r.planner === planner && r.event === event)!;
    expect(row('defp', 'actor join').moved).toBe(0);
    expect(row('defp', 'server leave').moved).toBeGreaterThanOrEqual(onS1);
    // Sending everyone local moves every actor that was on a server; the slowest move is T_old + T_local.
    const r = row('allLocal', 'actor join');
    const onServers = plan.filter((s) => s.server >= 0);
    expect(r.moved).toBe(onServers.length);
    const slowest = Math.max(
      ...plan.map((s, i) => (s.server >= 0 ? responseTime(inst, inst.actors[i], s) + responseTime(inst, inst.actors[i], LOCAL(inst)) : 0)),
    );
    expect(r.settleMs - r.solveMs).toBeCloseTo(slowest * 1000, 9);
  });
});
