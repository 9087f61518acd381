import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { intervalRates, trainedRate, type CellResult, type Sample } from '../experiments/lib/cell.js';
import { KeptRuns } from '../experiments/lib/kept.js';
import { bandwidthRow } from '../experiments/fig10-bandwidth.js';
import { scalingRow } from '../experiments/fig11-scaling.js';
import { labelledGrid, scatterWithDiagonal } from '../experiments/lib/charts.js';
import { studyArgs } from '../experiments/lib/cli.js';
import { fitOf, measuredRequestMs, predictedRequestMs } from '../experiments/lib/cost-validation.js';
import { BEGIN, END, figureLine, upsertFigureLines, writeStudy } from '../experiments/lib/results.js';
import { kernelDensity, linspace, mean, median, rSquared, worstRelativeError } from '../experiments/lib/stats.js';
import type { NetworkSpec } from '../src/partition/networks.js';

describe('experiments/lib/stats', () => {
  it('mean, median, R² and the worst relative error match hand-computed numbers', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // measured 1,2,3 (mean 2, SS_tot 2); predicted 1,2,4: SS_res 1 → R² = 0.5.
    expect(rSquared([1, 2, 3], [1, 2, 4])).toBeCloseTo(0.5, 12);
    expect(rSquared([1, 2, 3], [1, 2, 3])).toBe(1);
    // |1.5−1|/1 = 0.5 is worse than |4−3|/3 = 1/3: the worst is at index 0.
    expect(worstRelativeError([1, 2, 3], [1.5, 2, 4])).toEqual({ error: 0.5, index: 0 });
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(() => mean([])).toThrow(/empty/);
    expect(() => rSquared([1], [1])).toThrow(/at least 2/);
  });

  it('kernelDensity integrates to about 1 and peaks at the data', () => {
    const xs = [0.4, 0.5, 0.5, 0.6];
    const grid = linspace(-1, 2, 3001);
    const d = kernelDensity(xs, grid);
    const integral = d.reduce((a, b) => a + b, 0) * (grid[1] - grid[0]);
    expect(integral).toBeCloseTo(1, 3);
    expect(grid[d.indexOf(Math.max(...d))]).toBeCloseTo(0.5, 2);
    // A constant sample still has a bump of the floor bandwidth: density at the point = 1/(h√2π).
    expect(kernelDensity([0.3, 0.3], [0.3], 0.01)[0]).toBeCloseTo(1 / (0.01 * Math.sqrt(2 * Math.PI)), 6);
  });
});

describe('experiments/lib/results', () => {
  it('upsertFigureLines replaces only its own study and profile, keeps the others sorted, and adds the markers once', () => {
    const a = figureLine('fig09-learner-usage', 'quick', { name: 'busy', svg: '', caption: 'busy\n  fraction' });
    expect(a).toBe('- [`fig09-learner-usage/quick/busy.png`](fig09-learner-usage/quick/busy.png): busy fraction');
    let text = upsertFigureLines('# Results\n\nintro\n', 'fig09-learner-usage/quick', [a]);
    expect(text.indexOf(BEGIN)).toBeGreaterThan(text.indexOf('intro'));
    const other = figureLine('minatar-suite', 'quick', { name: 'all', svg: '', caption: 'the suite' });
    text = upsertFigureLines(text, 'minatar-suite/quick', [other]);
    const full = figureLine('fig09-learner-usage', 'full', { name: 'busy', svg: '', caption: 'full run' });
    text = upsertFigureLines(text, 'fig09-learner-usage/full', [full]);
    const again = figureLine('fig09-learner-usage', 'quick', { name: 'memory', svg: '', caption: 'memory' });
    text = upsertFigureLines(text, 'fig09-learner-usage/quick', [again]);
    const lines = text
      .slice(text.indexOf(BEGIN) + BEGIN.length, text.indexOf(END))
      .trim()
      .split('\n');
    expect(lines).toEqual([full, again, other]);
    expect(text.split(BEGIN).length).toBe(2);
  });

  it('writeStudy writes the JSON with its provenance, an SVG and a PNG per figure and the README lines', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ck-exp-test-'));
    try {
      const svg = await scatterWithDiagonal({
        title: 't',
        xLabel: 'predicted',
        yLabel: 'measured',
        points: [
          { x: 1, y: 2, group: 'g', label: 'y=0' },
          { x: 3, y: 3, group: 'g', label: 'y=1' },
        ],
      });
      const files = writeStudy(
        {
          study: 'demo',
          profile: 'quick',
          command: 'npx tsx experiments/demo.ts --quick',
          data: { a: 1 },
          figures: [{ name: 'scatter', svg, caption: 'a scatter' }],
        },
        root,
      );
      expect(files.map((f) => f.slice(root.length))).toEqual(['/demo/quick/demo.json', '/demo/quick/scatter.svg', '/demo/quick/scatter.png', '/README.md']);
      const json = JSON.parse(readFileSync(join(root, 'demo/quick/demo.json'), 'utf8'));
      expect(json).toMatchObject({ study: 'demo', profile: 'quick', command: 'npx tsx experiments/demo.ts --quick', data: { a: 1 } });
      expect(json.machine).toMatch(/shared machine/);
      const png = PNG.sync.read(readFileSync(join(root, 'demo/quick/scatter.png')));
      expect(png.width).toBe(900);
      expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('[`demo/quick/scatter.png`](demo/quick/scatter.png): a scatter');
      expect(() => writeStudy({ study: 'Bad Name', profile: 'quick', command: '', data: {}, figures: [] }, root)).toThrow(/study name "Bad Name"/);
      expect(existsSync(join(root, 'Bad Name'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('studyArgs defaults to --quick and refuses --quick with --full', () => {
    expect(studyArgs('demo', ['node', 'demo.ts']).profile).toBe('quick');
    expect(studyArgs('demo', ['node', 'demo.ts', '--full', '--out', '/tmp/x'])).toEqual({
      profile: 'full',
      out: '/tmp/x',
      command: 'npx tsx experiments/demo.ts --full',
      numbers: {},
      resume: undefined,
      collect: false,
    });
    expect(studyArgs('demo', ['node', 'demo.ts', '--full', '--resume', '/tmp/r', '--collect'])).toMatchObject({ resume: '/tmp/r', collect: true });
    expect(() => studyArgs('demo', ['node', 'demo.ts', '--collect'])).toThrow(/--collect needs --resume <dir>/);
    const hf = [{ flag: 'host-flops', description: 'd' }];
    expect(studyArgs('demo', ['node', 'demo.ts', '--host-flops', '4e9'], hf)).toMatchObject({
      numbers: { hostFlops: 4e9 },
      command: 'npx tsx experiments/demo.ts --quick --host-flops 4000000000',
    });
    expect(() => studyArgs('demo', ['node', 'demo.ts', '--host-flops', 'fast'], hf)).toThrow(/--host-flops must be a positive number, got "fast"/);
    expect(() => studyArgs('demo', ['node', 'demo.ts', '--quick', '--full'])).toThrow(/not both/);
  });
});

describe('experiments/lib/charts', () => {
  it('scatterWithDiagonal labels its points and refuses values a log axis cannot show', async () => {
    const svg = await scatterWithDiagonal({
      title: 'Eq. 6',
      xLabel: 'predicted ms',
      yLabel: 'measured ms',
      points: [{ x: 2, y: 3, group: 'impala-shallow', label: 'y=2' }],
    });
    for (const s of ['Eq. 6', 'predicted ms', 'measured ms', 'impala-shallow', 'y=2']) expect(svg).toContain(s);
    await expect(scatterWithDiagonal({ title: 'x', xLabel: '', yLabel: '', points: [{ x: 0, y: 1, group: 'g' }] })).rejects.toThrow(/> 0 on log axes/);
    await expect(scatterWithDiagonal({ title: 'x', xLabel: '', yLabel: '', points: [] })).rejects.toThrow(/must not be empty/);
  });

  it('labelledGrid draws every cell text and the winners legend', async () => {
    const svg = await labelledGrid({
      title: 'who wins',
      colLabel: 'link',
      rowLabel: 'device',
      cols: ['1 MB/s', '10 MB/s'],
      rows: ['rpi4'],
      values: ['seed', 'impala'],
      cells: [
        { col: '1 MB/s', row: 'rpi4', value: 'impala', text: '12×y3' },
        { col: '10 MB/s', row: 'rpi4', value: 'seed', text: '12×y0' },
      ],
    });
    for (const s of ['who wins', '12×y3', '12×y0', 'impala', 'seed', '10 MB/s']) expect(svg).toContain(s);
  });
});

describe('experiments/lib/cell and cost-validation', () => {
  it('intervalRates turns cumulative samples into per-interval busy fractions and bandwidth', () => {
    const s = (t: number, inferenceMs: number, trainMs: number, bytesIn: number): Sample => ({
      t,
      frames: 0,
      envSteps: 0,
      requests: 0,
      inferenceMs,
      trainMs,
      rssBytes: 2e8,
      bytesIn,
      bytesOut: 0,
    });
    const r = intervalRates([s(0, 0, 0, 0), s(0.5, 100, 200, 1e6), s(1, 600, 400, 1e6)]);
    expect(r).toHaveLength(2);
    expect(r[0]).toMatchObject({ inferenceBusy: 0.2, trainingBusy: 0.4, rssMB: 200, inMBps: 2 });
    expect(r[0].busy).toBeCloseTo(0.6, 12);
    expect(r[1].busy).toBe(1); // 1.0 + 0.4 is capped: two threads of work in one wall second still count as busy
  });

  it('trainedRate measures between update completions, not the quantised end points', () => {
    // Updates of 640 frames complete at t = 1.5, 4.5 and 7.5 s in a 0 … 9 s window sampled every 1.5 s:
    // 1,280 frames in 6 s = 213.3 frames/s; the end points would say 1,920 / 9 = 213.3 only by luck of phase.
    const at = (t: number, frames: number) => ({ t, frames });
    expect(trainedRate([at(0, 0), at(1.5, 640), at(3, 640), at(4.5, 1280), at(6, 1280), at(7.5, 1920), at(9, 1920)])).toBeCloseTo(1280 / 6, 9);
    // Same run, window ending just before the third update: end points 1,280 / 7 = 183; completions 640 / 3 = 213.3.
    expect(trainedRate([at(0, 0), at(1.5, 640), at(3, 640), at(4.5, 1280), at(7, 1280)])).toBeCloseTo(640 / 3, 9);
    // Fewer than two completions: the end points.
    expect(trainedRate([at(0, 0), at(2, 640), at(8, 640)])).toBe(80);
    expect(trainedRate([at(0, 0), at(8, 0)])).toBe(0);
    expect(() => trainedRate([at(0, 0)])).toThrow(/two samples/);
  });

  it('KeptRuns keeps a finished run, skips it on the next start, and with --collect runs nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-kept-'));
    try {
      let calls = 0;
      const make = () => Promise.resolve({ n: ++calls });
      const quiet = () => {};
      expect(await new KeptRuns(dir).get('full-2MBps-seed-r1', make, quiet)).toEqual({ n: 1 });
      expect(await new KeptRuns(dir).get('full-2MBps-seed-r1', make, quiet)).toEqual({ n: 1 });
      expect(calls).toBe(1);
      expect(existsSync(join(dir, 'full-2MBps-seed-r1.json.tmp'))).toBe(false);
      expect(await new KeptRuns(dir, true).get('full-2MBps-seed-r2', make, quiet)).toBeUndefined();
      expect(calls).toBe(1);
      expect(await new KeptRuns(undefined).get('x', make, quiet)).toEqual({ n: 2 });
      await expect(new KeptRuns(dir).get('../escape', make, quiet)).rejects.toThrow(/plain file name/);
      expect(() => new KeptRuns(undefined, true)).toThrow(/--collect needs --resume/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fig10 and fig11 rows hold the medians of their runs and every run for the spread', () => {
    const cell = (train: number, steps: number, req: number, y: number[]) =>
      ({
        trainFramesPerSec: train,
        envStepsPerSec: steps,
        requestsPerSec: req,
        inferenceBusy: 0.5,
        trainingBusy: train / 1000,
        splitPoints: y,
      }) as unknown as CellResult;
    const cells = [cell(100, 900, 50, [0, 0]), cell(140, 700, 70, [1, 0]), cell(120, 800, 60, [1, 1])];
    const b = bandwidthRow('coknight+ae4q4', 10, 'tc', cells);
    expect(b).toMatchObject({ trainFramesPerSec: 120, envStepsPerSec: 800, inferenceBusy: 0.5, trainingBusy: 0.12, splitPoints: [1, 1] });
    expect(b.runs.map((r) => r.trainFramesPerSec)).toEqual([100, 140, 120]);
    const s = scalingRow('seed', 4, cells);
    expect(s).toMatchObject({ actors: 4, requestsPerSec: 60, trainFramesPerSec: 120 });
    expect(s.runs.map((r) => r.splitPoints)).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
  });

  it('Eq. 6 at batch n, with and without the training upload, against hand-computed numbers', () => {
    // b_0 = 1000 B; layer 1: 2 MFLOPs → 500 B; layer 2: 1 MFLOPs → 100 B. f_d = 1 GFLOP/s, f_e = 10 GFLOP/s, 1 MB/s.
    const net: NetworkSpec = {
      name: 'tiny',
      inputBytes: 1000,
      layers: [
        { name: 'l1', flops: 2e6, outBytes: 500 },
        { name: 'l2', flops: 1e6, outBytes: 100 },
      ],
    };
    // y=0: te = 3e6/1e10 = 0.3 ms, link (1000+100)/1e6 = 1.1 ms → 1.4 ms per obs, ×4 envs = 5.6 ms.
    expect(predictedRequestMs(net, 0, 4, 1e9, 1e10, 1e6)).toBeCloseTo(5.6, 9);
    expect(predictedRequestMs(net, 0, 4, 1e9, 1e10, 1e6, true)).toBeCloseTo(5.6, 9);
    // y=1: td 2 ms + te 0.1 ms + (500+100)/1e6 = 0.6 ms → 2.7 ms; + upload 1 ms → 3.7 ms.
    expect(predictedRequestMs(net, 1, 1, 1e9, 1e10, 1e6)).toBeCloseTo(2.7, 9);
    expect(predictedRequestMs(net, 1, 1, 1e9, 1e10, 1e6, true)).toBeCloseTo(3.7, 9);
    // y=K: td alone (3 ms), + upload 1 ms.
    expect(predictedRequestMs(net, 2, 1, 1e9, 1e10, 1e6, true)).toBeCloseTo(4, 9);
    expect(measuredRequestMs(400, 2, 4)).toBe(20);
    expect(() => measuredRequestMs(0, 2, 4)).toThrow(/no env steps/);
  });

  it('fitOf: a constant offset is found and, added back, fits exactly', () => {
    const pts = [1, 2, 4, 8].map((p, y) => ({ network: 'n', y, predictedMs: p, predictedWithUploadMs: p, measuredMs: p + 3 }));
    const f = fitOf(pts);
    expect(f.medianOffsetMs).toBe(3);
    expect(f.r2WithOffset).toBe(1);
    expect(f.worstRelativeErrorWithOffset).toBe(0);
    expect(f.worstRelativeError).toBeCloseTo(3 / 4, 12); // at y=0: |1−4|/4
    expect(f.worstAt).toBe('n y=0');
  });
});
