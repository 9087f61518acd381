import { describe, expect, it } from 'vitest';
import { BASELINES, suitePlan, target, trainArgs, parseList, GAMES } from '../experiments/minatar-suite/plan.js';
import { groupResults, markdownTable, meanStd, replaceBetween, withEarlierRuns, type RunResult } from '../experiments/minatar-suite/summary.js';

describe('MinAtar suite plan', () => {
  it("is the issue's plan: local on all five games (3 seeds on Breakout/Space Invaders), three distributed modes on those two", () => {
    const plan = suitePlan({ quick: false });
    const local = plan.filter((s) => s.mode === 'local');
    expect(local.map((s) => s.name)).toEqual([
      'breakout-local-s1',
      'breakout-local-s2',
      'breakout-local-s3',
      'space_invaders-local-s1',
      'space_invaders-local-s2',
      'space_invaders-local-s3',
      'freeway-local-s1',
      'asterix-local-s1',
      'seaquest-local-s1',
    ]);
    const distributed = plan.filter((s) => s.mode !== 'local');
    expect(distributed.map((s) => s.name)).toEqual([
      'breakout-coknight-s1',
      'breakout-seed-s1',
      'breakout-impala-s1',
      'space_invaders-coknight-s1',
      'space_invaders-seed-s1',
      'space_invaders-impala-s1',
    ]);
    expect(new Set(plan.map((s) => s.frames))).toEqual(new Set([5_000_000]));
    expect(distributed.every((s) => s.actors === 8)).toBe(true);
  });

  it('narrows to the given games, modes, seeds and frames; quick is small', () => {
    const quick = suitePlan({ quick: true });
    expect(quick.every((s) => s.frames === 20_000 && s.actors === 2)).toBe(true);
    expect(new Set(quick.map((s) => s.game))).toEqual(new Set(['breakout', 'asterix']));
    const some = suitePlan({ quick: false, games: ['seaquest'], modes: ['local', 'seed'], seeds: [4, 5], frames: 1000 });
    // Distributed modes only run on Breakout and Space Invaders.
    expect(some.map((s) => s.name)).toEqual(['seaquest-local-s4', 'seaquest-local-s5']);
  });

  it('builds the train command from the shipped per-game config', () => {
    const [spec] = suitePlan({ quick: false, games: ['breakout'], modes: ['coknight'] });
    expect(trainArgs(spec, 'runs/x', false)).toEqual([
      'train',
      '--config',
      'configs/minatar-breakout.yaml',
      '--frames',
      '5000000',
      '--seed',
      '1',
      '--mode',
      'coknight',
      '--actors',
      '8',
      '--run-dir',
      'runs/x',
      '--progress',
      'lines',
    ]);
    expect(trainArgs({ ...spec, mode: 'local' }, 'runs/x', true)).toContain('--resume');
  });

  it('targets are the better of AC(λ) and DQN from the MinAtar paper', () => {
    expect(GAMES.map(target)).toEqual([17.5, 185, 50, 19, 20]);
    expect(BASELINES.seaquest).toEqual({ acLambda: 15, dqn: 20 });
    expect(() => parseList('games', 'breakout,pong', GAMES)).toThrow(/--games: "pong" is not one of/);
  });
});

describe('MinAtar suite summary', () => {
  const run = (over: Partial<RunResult>): RunResult => ({
    game: 'breakout',
    mode: 'local',
    seed: 1,
    frames: 5_000_000,
    finalReturn: 0,
    wallSeconds: 600,
    framesPerSecond: 8000,
    finished: true,
    ...over,
  });

  it('mean and sample std by hand: [1, 2, 3, 4] → 2.5 ± 1.2910', () => {
    const { mean, std } = meanStd([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(meanStd([7])).toEqual({ mean: 7, std: 0 });
  });

  it('groups by game and mode, and checks the target for local mode only', () => {
    const groups = groupResults([
      run({ seed: 1, finalReturn: 17 }),
      run({ seed: 2, finalReturn: 19 }),
      run({ mode: 'seed', finalReturn: 3 }),
      run({ game: 'seaquest', finalReturn: 19.5, finished: false, frames: 4_000_000 }),
    ]);
    expect(groups.map((g) => [g.game, g.mode, g.runs, g.mean, g.meetsTarget])).toEqual([
      ['breakout', 'local', 2, 18, true],
      ['breakout', 'seed', 1, 3, undefined],
      ['seaquest', 'local', 1, 19.5, false],
    ]);
    expect(groups[0].std).toBeCloseTo(Math.SQRT2, 12);
    const md = markdownTable(groups);
    expect(md).toContain('| breakout | local | 1, 2 | 5M | **18.00** ± 1.41 | 17.5 / 10 | yes | 600 | 8,000 |');
    expect(md).toContain('| seaquest | local | 1 | 4M (unfinished) | **19.50** ± 0.00 | 15 / 20 | no (-0.50) |');
  });

  it('writes the table between the README markers, and names them when they are missing', () => {
    const doc = 'a\n<!-- b -->\nold\n<!-- e -->\nz';
    expect(replaceBetween(doc, '<!-- b -->', '<!-- e -->', 'new')).toBe('a\n<!-- b -->\nnew\n<!-- e -->\nz');
    expect(() => replaceBetween('x', '<!-- b -->', '<!-- e -->', 'new')).toThrow(/no "<!-- b -->" … "<!-- e -->" markers/);
  });

  it('keeps earlier runs whose directories are gone; a run present now replaces its earlier record', () => {
    const earlier = [run({ game: 'freeway', seed: 1, finalReturn: 60 }), run({ seed: 1, finalReturn: 5 })];
    const { runs, kept } = withEarlierRuns([run({ seed: 1, finalReturn: 18 }), run({ seed: 2, finalReturn: 11 })], earlier);
    expect(kept.map((r) => r.game)).toEqual(['freeway']);
    expect(runs.map((r) => [r.game, r.seed, r.finalReturn])).toEqual([
      ['breakout', 1, 18],
      ['breakout', 2, 11],
      ['freeway', 1, 60],
    ]);
  });
});
