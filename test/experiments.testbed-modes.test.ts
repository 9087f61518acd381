import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { modesFigures, modesRow, profileCells, runKey, steadyWindow, variantSettings, type ModesRow, type ModesRun } from '../experiments/testbed-modes.js';

describe('experiments/testbed-modes: the steady window of a testbed run', () => {
  const lines = [
    { frames: 640, wallSeconds: 10, inferenceBusy: 0.9, trainingBusy: 0.1 },
    { event: 'join', actor: 'dev-0', splitPoint: 0 },
    { frames: 1280, wallSeconds: 12, inferenceBusy: 0.5, trainingBusy: 0.1 },
    { event: 'join', actor: 'dev-1', splitPoint: 0 },
    { frames: 1920, wallSeconds: 14, inferenceBusy: 0.5, trainingBusy: 0.2 },
    { frames: 2560, wallSeconds: 16, inferenceBusy: 0.3, trainingBusy: 0.2 },
    { frames: 3840, wallSeconds: 18, inferenceBusy: 0.4, trainingBusy: 0.3 },
    { frames: 5120, wallSeconds: 20, inferenceBusy: 0.6, trainingBusy: 0.3 },
  ];

  it('takes the updates after the last join plus the settling time: rate between its ends, busy fractions averaged', () => {
    const w = steadyWindow(lines, 2);
    // Window: the updates at 16, 18 and 20 s (14 s + 2 s settling): (5120 − 2560) / 4 s.
    expect(w.trainFramesPerSec).toBe(640);
    expect(w.windowSeconds).toBe(4);
    expect(w.inferenceBusy).toBeCloseTo(0.5, 12);
    expect(w.trainingBusy).toBeCloseTo(0.3, 12);
    expect(w.learnerBusy).toBeCloseTo(0.8, 12);
  });

  it('refuses a run too short to have two updates after the last join', () => {
    expect(() => steadyWindow(lines, 5)).toThrow(/1 update line\(s\) after the last join \+ 5 s; run longer/);
    expect(() => steadyWindow([{ frames: 1, wallSeconds: 1 }, { event: 'join' }], 0)).toThrow(/no update after the last actor joined/);
  });

  it('a row holds the medians of its runs and the last run’s plan', () => {
    const run = (fps: number, busy: number, y: number): ModesRun => ({
      trainFramesPerSec: fps,
      learnerBusy: busy,
      inferenceBusy: busy / 2,
      trainingBusy: busy / 2,
      envStepsPerSec: 2 * fps,
      bytesPerEnvStep: 100,
      splitPoints: [y, y],
      calibratedFlops: [null, null],
      windowSeconds: 10,
    });
    const row = modesRow('impala-shallow', 'fixed', '2MB/s', [run(400, 0.9, 1), run(600, 0.5, 1), run(500, 0.7, 1)]);
    expect(row).toMatchObject({
      network: 'impala-shallow',
      variant: 'fixed',
      label: 'y1+ae4q4',
      cap: '2MB/s',
      trainFramesPerSec: 500,
      learnerBusy: 0.7,
      envStepsPerSec: 1000,
      splitPoints: [1, 1],
    });
    expect(row.runs).toHaveLength(3);
  });

  it('the fixed variant puts every actor at the network’s intermediate split with ae4q4 held there', () => {
    expect(variantSettings('fixed', 'impala-deep')).toEqual({
      label: 'y4+ae4q4',
      mode: 'coknight',
      set: ['model="impala-deep"', 'hyper.microBatchSize=8', 'distributed.codecs=["ae4q4@4"]', 'distributed.splitPoints=[4,4,4,4,4,4]'],
    });
    expect(variantSettings('seed', 'impala-shallow')).toEqual({ label: 'seed', mode: 'seed', set: ['model="impala-shallow"'] });
  });

  it('names each run for --resume: rpi3 cells keep their earlier keys, other classes add theirs', () => {
    const [rpi3, , zero] = profileCells(true);
    expect(zero.deviceClass).toBe('rpi-zero');
    expect(runKey('full', rpi3, '20MB/s', 'coknight+ae4q4', 2)).toBe('full-impala-shallow-20MBps-coknight+ae4q4-r2');
    expect(runKey('full', zero, '2MB/s', 'fixed', 1)).toBe('full-impala-shallow-rpi-zero-2MBps-fixed-r1');
  });

  it('plots the committed full run: a frames/s and a busy chart per network and class, every variant of every link in them', async () => {
    const json = JSON.parse(readFileSync('experiments/results/testbed-modes/full/testbed-modes.json', 'utf8')) as { data: { rows: ModesRow[] } };
    const rows = json.data.rows;
    // Three rpi3 cells and the rpi-zero cell, five variants each.
    expect(rows).toHaveLength(20);
    expect(rows.filter((r) => r.deviceClass === 'rpi-zero')).toHaveLength(5);
    const figures = await modesFigures(rows, profileCells(true), 2);
    expect(figures.map((f) => f.name)).toEqual([
      'train-frames-impala-shallow',
      'learner-busy-impala-shallow',
      'train-frames-impala-deep',
      'learner-busy-impala-deep',
      'train-frames-impala-shallow-rpi-zero',
      'learner-busy-impala-shallow-rpi-zero',
    ]);
    for (const label of ['seed', 'impala', 'coknight', 'coknight+ae4q4', 'y1+ae4q4']) expect(figures[0].svg).toContain(label);
    expect(figures[2].svg).toContain('y4+ae4q4');
    expect(figures[0].caption).toMatch(/median of 2 runs\) at 20MB\/s, 2MB\/s: 6 rpi3-class actors/);
  });

  it('a cell of another class gets its own charts, named and captioned for the class', async () => {
    const run: ModesRun = {
      trainFramesPerSec: 1000,
      learnerBusy: 0.5,
      inferenceBusy: 0.2,
      trainingBusy: 0.3,
      envStepsPerSec: 1000,
      bytesPerEnvStep: 351,
      splitPoints: [3],
      calibratedFlops: [1.9e9],
      windowSeconds: 10,
    };
    const rows = [
      modesRow('impala-shallow', 'impala', '2MB/s', [run]),
      modesRow('impala-shallow', 'impala', '2MB/s', [{ ...run, trainFramesPerSec: 700 }], 'rpi-zero'),
    ];
    const figures = await modesFigures(rows, profileCells(false), 1);
    expect(figures.map((f) => f.name)).toEqual([
      'train-frames-impala-shallow',
      'learner-busy-impala-shallow',
      'train-frames-impala-shallow-rpi-zero',
      'learner-busy-impala-shallow-rpi-zero',
    ]);
    expect(figures[2].caption).toMatch(/one run\) at 2MB\/s: 6 rpi-zero-class actors/);
    expect(figures[2].svg).toContain('6 rpi-zero actors');
    expect(figures[0].svg).toContain('6 rpi3 actors');
  });
});
