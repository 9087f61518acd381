import { describe, expect, it } from 'vitest';
import { loadConfig, overridesFromSets } from '../src/config/load.js';
import { PLANNERS, plannerRow, plannerSettings, plannerTable } from '../experiments/testbed-planners.js';
import type { ModesRun } from '../experiments/testbed-modes.js';

/** The run's config as the learner builds it from the testbed's `--set` overrides. */
const configOf = (set: string[]) => loadConfig(undefined, overridesFromSets(['mode="coknight"', 'env.id="minatar-pixels/breakout"', ...set]));

describe('experiments/testbed-planners: the live planners as configs', () => {
  const files = { mahppo: '/tmp/m.json', shielded: '/tmp/s.json', mahppoLow: '/tmp/m1.json', shieldedLow: '/tmp/s1.json' };

  it('each planner is a valid coknight config on the shallow net with ae4q4, the budget where one is given', () => {
    for (const p of PLANNERS) {
      const c = configOf(plannerSettings(p, 2e6, files));
      expect(c.model).toBe('impala-shallow');
      expect(c.distributed.codec).toBe('ae4q4');
      expect(c.partition.computeBudget).toBe(2e6);
    }
    expect(configOf(plannerSettings('defp', undefined, files)).partition.computeBudget).toBeUndefined();
    expect(configOf(plannerSettings('defp', undefined, files)).partition.planner).toBe('defp');
    const milp = configOf(plannerSettings('milp', undefined, files));
    expect([milp.distributed.serverAssign, milp.partition.multi.solver]).toEqual(['plan', 'milp']);
    expect(configOf(plannerSettings('greedy', undefined, files)).partition.multi.solver).toBe('greedy');
    const marl = configOf(plannerSettings('shielded-marl', undefined, files));
    expect([marl.partition.planner, marl.partition.plannerCheckpoint]).toEqual(['shielded-marl', '/tmp/s.json']);
    expect(configOf(plannerSettings('mahppo', undefined, files)).partition.plannerCheckpoint).toBe('/tmp/m.json');
    const low = configOf(plannerSettings('shielded-marl-p0.1', undefined, files));
    expect([low.partition.planner, low.partition.plannerCheckpoint]).toEqual(['shielded-marl', '/tmp/s1.json']);
    expect(configOf(plannerSettings('mahppo-p0.1', undefined, files)).partition.plannerCheckpoint).toBe('/tmp/m1.json');
  });

  it('a row holds the medians of its runs, the last run’s plan, and the planner time over every join', () => {
    const run = (fps: number, busy: number, planMs: number[], planner: string): ModesRun => ({
      trainFramesPerSec: fps,
      learnerBusy: busy,
      inferenceBusy: busy / 2,
      trainingBusy: busy / 2,
      envStepsPerSec: 2 * fps,
      bytesPerEnvStep: 800,
      splitPoints: [1, 3],
      calibratedFlops: [1.6e9, 1.6e9],
      windowSeconds: 30,
      joins: planMs.map((ms, i) => ({ actor: `a${i}`, planMs: ms, moved: 0, planner })),
    });
    const row = plannerRow('shielded-marl', 'two-passes', [run(500, 0.2, [1, 3], 'first'), run(600, 0.4, [2, 10], 'last')]);
    expect(row.trainFramesPerSec).toBe(550);
    expect(row.learnerBusy).toBeCloseTo(0.3, 12);
    // Joins 1, 3, 2, 10 ms: median 2.5, max 10.
    expect(row.medianPlanMs).toBe(2.5);
    expect(row.maxPlanMs).toBe(10);
    expect(row.plan).toBe('last');
    expect(row.splitPoints).toEqual([1, 3]);
    expect(plannerTable([row]).split('\n')[2]).toBe('| two-passes | shielded-marl | 550 (500, 600) | 30% | 800 | 1,3 | last | 2.50, 10.00 |');
  });
});
