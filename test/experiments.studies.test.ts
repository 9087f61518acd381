import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { convergenceBands, seedCounts, type ConvergenceRun } from '../experiments/fig08-convergence.js';
import { usageDensities } from '../experiments/fig09-learner-usage.js';
import { bandwidthSeries, type BandwidthRow } from '../experiments/fig10-bandwidth.js';
import { scalingSeries, type ScalingRow } from '../experiments/fig11-scaling.js';
import { simulationProfile } from '../experiments/fig12-simulation.js';
import { sweepAxes } from '../experiments/where-split-wins.js';
import type { Sample } from '../experiments/lib/cell.js';

const run = (env: string, mode: string, seed: number, ys: number[]): ConvergenceRun => ({
  env,
  mode,
  seed,
  finalReturn: ys.at(-1)!,
  framesPerSecond: 100,
  wallSeconds: 10,
  inferenceBusy: undefined,
  trainingBusy: undefined,
  curve: ys.map((y, i): [number, number, number] => [1000 * i, 2 * i, y]),
});

describe('experiment studies: what each plots', () => {
  it('fig08: one band per mode over its seeds (mean ± stderr), against frames or seconds', () => {
    const runs = [run('g', 'seed', 1, [0, 2, 4]), run('g', 'seed', 2, [0, 4, 6]), run('g', 'impala', 1, [1, 1, 1]), run('other', 'seed', 1, [9, 9, 9])];
    const bands = convergenceBands(runs, 'g', 'frames');
    expect(bands.map((b) => b.name)).toEqual(['seed (2 seeds)', 'impala (1 seeds)']);
    const last = bands[0].points.at(-1)!;
    // x = 2000 frames: returns 4 and 6 → mean 5, stderr = sd/√2 = √2/√2 = 1.
    expect(last[0]).toBe(2000);
    expect(last[1]).toBeCloseTo(5, 12);
    expect([last[2], last[3]]).toEqual([4, 6]);
    expect(convergenceBands(runs, 'g', 'time')[0].points.at(-1)![0]).toBe(4);
    // Captions say how many seeds each mode has when a partial --collect leaves them uneven.
    expect(seedCounts(runs, 'g')).toBe('seed 2 seeds, impala 1 seeds, coknight 0 seeds');
    expect(seedCounts([run('g', 'seed', 1, [0]), run('g', 'impala', 1, [0]), run('g', 'coknight', 1, [0])], 'g')).toBe(
      'seed / impala / coknight, 1 seeds each',
    );
  });

  it('fig09: a density per mode of the interval busy fractions, on [0, 1]', () => {
    const samples = (busyMsPerHalfSecond: number): Sample[] =>
      Array.from({ length: 11 }, (_, i) => ({
        t: i / 2,
        frames: 0,
        envSteps: 0,
        requests: 0,
        inferenceMs: i * busyMsPerHalfSecond,
        trainMs: 0,
        rssBytes: 1e8,
        bytesIn: i * 1e5,
        bytesOut: 0,
      }));
    const d = usageDensities(
      [
        { mode: 'seed', cell: { samples: samples(450) } },
        { mode: 'coknight', cell: { samples: samples(300) } },
      ],
      'busy',
      101,
    );
    expect(d.map((s) => s.name)).toEqual(['seed', 'coknight']);
    const peak = (pts: [number, number][]): number => pts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    expect(peak(d[0].points)).toBeCloseTo(0.9, 2);
    expect(peak(d[1].points)).toBeCloseTo(0.6, 2);
    expect(d[0].points[0][0]).toBe(0);
    expect(d[0].points.at(-1)![0]).toBe(1);
  });

  it('fig10 and fig11: one line per mode, sorted along x', () => {
    const b = (mode: string, capMBps: number, v: number): BandwidthRow => ({
      mode,
      capMBps,
      shaping: 'tc',
      trainFramesPerSec: v,
      envStepsPerSec: 2 * v,
      inferenceBusy: 0,
      trainingBusy: 0,
      splitPoints: [],
      runs: [],
    });
    expect(bandwidthSeries([b('seed', 50, 3), b('seed', 2, 1), b('impala', 2, 5)], 'envStepsPerSec')).toEqual([
      {
        name: 'seed',
        points: [
          [2, 2],
          [50, 6],
        ],
      },
      { name: 'impala', points: [[2, 10]] },
    ]);
    const s = (mode: string, actors: number, requestsPerSec: number): ScalingRow => ({
      mode,
      actors,
      requestsPerSec,
      trainFramesPerSec: 0,
      envStepsPerSec: 0,
      inferenceBusy: 0,
      trainingBusy: 0,
      splitPoints: [],
      runs: [],
    });
    expect(scalingSeries([s('coknight', 4, 9), s('coknight', 1, 3)], 'requestsPerSec')).toEqual([
      {
        name: 'coknight',
        points: [
          [1, 3],
          [4, 9],
        ],
      },
    ]);
  });

  it('fig12 and where-split-wins: quick is a subset of full', () => {
    const q = simulationProfile('quick');
    const f = simulationProfile('full');
    expect(Math.max(...q.actorCounts)).toBeLessThan(Math.max(...f.actorCounts));
    expect(q.milpTimeLimitSec).toBeLessThan(f.milpTimeLimitSec);
    expect(sweepAxes('quick').links.length).toBeLessThan(sweepAxes('full').links.length);
  });

  it('where-split-wins --quick runs end to end (the one study quick enough for CI) and writes its JSON, figures and README lines', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ck-wsw-'));
    try {
      await promisify(execFile)(process.execPath, ['--import', 'tsx', 'experiments/where-split-wins.ts', '--quick', '--out', out], { timeout: 240_000 });
      const json = JSON.parse(readFileSync(join(out, 'where-split-wins/quick/where-split-wins.json'), 'utf8'));
      expect(json.profile).toBe('quick');
      const axes = sweepAxes('quick');
      // 2 networks × 5 codec rows (none, f16, q8, q4, ae4q4) × links × learners × 4 device classes
      expect(json.data.cells).toHaveLength(2 * 5 * axes.links.length * axes.learners.length * 4);
      expect(json.data.summary.byCodec.map((r: { codec: string }) => r.codec)).toEqual([
        'none',
        'f16',
        'q8',
        'q4',
        'ae4q4',
        'none',
        'f16',
        'q8',
        'q4',
        'ae4q4',
      ]);
      expect(json.data.why.map((w: { network: string }) => w.network)).toEqual(['impala-shallow', 'impala-deep']);
      const readme = readFileSync(join(out, 'README.md'), 'utf8');
      expect(readme).toContain('where-split-wins/quick/winner-impala-shallow-12-none.png');
      expect(readme).toContain('where-split-wins/quick/winner-impala-deep-12-ae4q4.png');
      expect(readme).toContain('where-split-wins/quick/bytes-vs-compute-impala-deep.png');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
