import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bandOf, compareRuns, loadRun, meanStderr } from '../src/run/compare.js';
import { fakeRun } from './helpers/fake-run.js';

const root = mkdtempSync(join(tmpdir(), 'ck-compare-'));
const seedA = fakeRun(join(root, 'seed-1'), { mode: 'seed', seed: 1, slope: 0.01 });
const seedB = fakeRun(join(root, 'seed-2'), { mode: 'seed', seed: 2, slope: 0.03 });
const ck = fakeRun(join(root, 'ck-1'), { mode: 'coknight', seed: 1, slope: 0.05, lr: 0.001 });

describe('coknight compare', () => {
  it('mean ± stderr over runs', () => {
    expect(meanStderr([1, 3])).toEqual({ mean: 2, stderr: 1 });
    expect(meanStderr([4])).toEqual({ mean: 4, stderr: 0 });
  });

  it('averages curves of a group on a common grid', () => {
    const band = bandOf([loadRun(seedA, 'mode', 'frames'), loadRun(seedB, 'mode', 'frames')], 10);
    expect(band).toHaveLength(11);
    const last = band.at(-1)!;
    expect(last[0]).toBe(1000);
    expect(last[2]).toBeLessThan(last[1]);
    expect(last[3]).toBeGreaterThan(last[1]);
  });

  it('groups by mode: charts, Markdown table with final return ± stderr, frames/s, wall time, bytes per frame', async () => {
    const out = join(root, 'out-mode');
    const r = await compareRuns([seedA, seedB, ck], { by: 'mode', x: 'frames', out });
    expect(r.groups.map((g) => [g.group, g.runs])).toEqual([
      ['seed', 2],
      ['coknight', 1],
    ]);
    const seed = r.groups[0];
    expect(seed.finalReturn.mean).toBeCloseTo((0.01 * 45 + 0.03 * 45) / 2);
    expect(seed.finalReturn.stderr).toBeGreaterThan(0);
    expect(seed.bytesPerFrame).toBeCloseTo(3000 / 1000);
    for (const f of ['returns.svg', 'returns.png', 'throughput.svg', 'throughput.png', 'busy.svg', 'busy.png', 'compare.md', 'compare.json'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const md = readFileSync(join(out, 'compare.md'), 'utf8');
    expect(md).toContain('| mode | runs | final return (mean ± stderr) | frames/s | wall time (s) | bytes per frame |');
    expect(md).toMatch(/\| seed \| 2 \| 0\.90 ± 0\.45 \| 200 ± 0 \| 5\.0 \| 3\.0 \| 30% \| 40% \|/);
    expect(readFileSync(join(out, 'returns.svg'), 'utf8')).toContain('mode coknight (1 run)');
  });

  it('groups by seed or by a config field, over time', async () => {
    const bySeed = await compareRuns([seedA, seedB, ck], { by: 'seed', x: 'time', out: join(root, 'out-seed') });
    expect(bySeed.groups.map((g) => [g.group, g.runs])).toEqual([
      ['1', 2],
      ['2', 1],
    ]);
    const byLr = await compareRuns([seedA, ck], { by: 'hyper.learningRate', x: 'frames', out: join(root, 'out-lr') });
    expect(byLr.groups.map((g) => g.group)).toEqual(['0.005', '0.001']);
  });

  it('explains bad input: not a run, runs of different envs, unknown field, no episodes', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await expect(compareRuns([seedA, empty], { by: 'mode', x: 'frames', out: join(root, 'x') })).rejects.toThrow(/is not a run directory/);
    await expect(compareRuns([seedA, join(root, 'nope')], { by: 'mode', x: 'frames', out: join(root, 'x') })).rejects.toThrow(/does not exist/);
    const other = fakeRun(join(root, 'other-env'), { env: 'minatar/asterix' });
    await expect(compareRuns([seedA, other], { by: 'mode', x: 'frames', out: join(root, 'x') })).rejects.toThrow(
      /different envs .*minatar\/breakout.*minatar\/asterix.*compare runs of one env at a time/,
    );
    await expect(compareRuns([seedA], { by: 'hyper.nope', x: 'frames', out: join(root, 'x') })).rejects.toThrow(/no field "hyper.nope"/);
    const none = fakeRun(join(root, 'no-episodes'), { episodes: 0 });
    await expect(compareRuns([none], { by: 'mode', x: 'frames', out: join(root, 'x') })).rejects.toThrow(/no finished episodes/);
  });
});
