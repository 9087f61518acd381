/**
 * Fig. 9: how busy, how big and how loaded the learner is, per mode, at equal frames: each mode trains
 * the same number of frames (8 actors, minatar-pixels/breakout, no cap) while the learner's counters
 * are sampled every 0.5 s. Densities of the busy fraction (inference + training time per wall second,
 * the paper's "GPU utilisation"), the learner process's resident memory and the bytes/s it receives.
 * Also the paper's headline: Coknight's busy fraction against Seed-RL's (paper ≈ 60% vs ≈ 90%), once
 * with unlimited links and once with half the actors behind 1 MB/s links (tc as root, else the pacer).
 *
 *   npx tsx experiments/fig09-learner-usage.ts --quick   # 3k frames per mode (at most 200 s), updates of 4 × 10 frames
 *   npx tsx experiments/fig09-learner-usage.ts --full    # 500k frames per mode, 12 actors
 */
import { initBackend } from '../src/backend/index.js';
import { lineChart } from '../src/plot/charts.js';
import { hyperFor, intervalRates, runCell, type CellResult } from './lib/cell.js';
import { studyArgs } from './lib/cli.js';
import { writeStudy } from './lib/results.js';
import { withLinks } from './lib/shaping.js';
import { parseBandwidth } from '../src/util/bandwidth.js';
import { kernelDensity, linspace, mean } from './lib/stats.js';

const ENV = 'minatar-pixels/breakout';
const MODES = ['seed', 'impala', 'coknight'] as const;
type Metric = 'busy' | 'rssMB' | 'inMBps';

export function usageDensities(
  cells: readonly { mode: string; cell: Pick<CellResult, 'samples'> }[],
  metric: Metric,
  points = 60,
): { name: string; points: [number, number][] }[] {
  const values = cells.map((c) => ({ mode: c.mode, xs: intervalRates(c.cell.samples).map((r) => r[metric]) })).filter((v) => v.xs.length > 0);
  if (values.length === 0) return [];
  const all = values.flatMap((v) => v.xs);
  const lo = metric === 'busy' ? 0 : Math.min(...all) * 0.9;
  const hi = metric === 'busy' ? 1 : Math.max(...all) * 1.1 + 1e-9;
  const grid = linspace(lo, hi, points);
  const floor = metric === 'busy' ? 0.02 : (hi - lo) / 50;
  return values.map((v) => ({ name: v.mode, points: grid.map((g, i): [number, number] => [g, kernelDensity(v.xs, grid, floor)[i]]) }));
}

async function main(): Promise<void> {
  const args = studyArgs('fig09-learner-usage');
  const full = args.profile === 'full';
  const frames = full ? 500_000 : 3_000;
  const actors = full ? 12 : 8;
  await initBackend({ log: () => {} });
  const cells: { mode: string; cell: CellResult }[] = [];
  for (const mode of MODES) {
    const cell = await runCell({
      mode,
      actors,
      env: ENV,
      envsPerActor: 2,
      config: { hyper: hyperFor(full) },
      warmupSeconds: 2,
      seconds: full ? 3600 : 200,
      frames,
      sampleMs: 500,
    });
    const r = intervalRates(cell.samples);
    console.log(`${mode}: ${cell.samples.at(-1)!.frames} frames in ${cell.seconds.toFixed(0)} s, busy ${(100 * mean(r.map((x) => x.busy))).toFixed(0)}%`);
    cells.push({ mode, cell });
  }
  // The paper's setting has devices that keep part of the network: half the actors behind 1 MB/s
  // links, half behind 50 MB/s (tc as root, else the pacer), Seed-RL against Coknight at equal frames.
  const hetero = [...Array.from({ length: actors / 2 }, () => '1MB/s'), ...Array.from({ length: actors / 2 }, () => '50MB/s')];
  let shaping = '';
  for (const mode of ['seed', 'coknight'] as const)
    await withLinks('fig09', actors, hetero, async (links) => {
      shaping = `${links.shaping}: ${links.why}`;
      const cell = await runCell({
        mode,
        actors,
        env: ENV,
        envsPerActor: 2,
        bandwidth: links.pacer,
        links: links.cell,
        actorExtraArgs: (i) => ['--link-bytes-per-sec', String(parseBandwidth(hetero[i]))],
        config: { hyper: hyperFor(full), distributed: { actorBandwidth: links.actorBandwidth } },
        warmupSeconds: 2,
        seconds: full ? 3600 : 200,
        frames,
        sampleMs: 500,
      });
      console.log(`${mode} (links ${hetero.join(',')}, ${links.shaping}): ${cell.samples.at(-1)!.frames} frames, y=[${cell.splitPoints.join(',')}]`);
      cells.push({ mode: `${mode} (1 & 50 MB/s links)`, cell });
    });
  const summary = cells.map(({ mode, cell }) => {
    const r = intervalRates(cell.samples);
    const last = cell.samples.at(-1)!;
    return {
      mode,
      frames: last.frames,
      seconds: cell.seconds,
      // Busy time over the whole window (not the mean of intervals): the headline number.
      busyFraction: (last.inferenceMs + last.trainMs) / 1000 / cell.seconds,
      inferenceBusy: cell.inferenceBusy,
      trainingBusy: cell.trainingBusy,
      meanRssMB: mean(r.map((x) => x.rssMB)),
      meanInMBps: mean(r.map((x) => x.inMBps)),
      bytesInPerFrame: last.bytesIn / Math.max(1, last.frames),
      splitPoints: cell.splitPoints,
    };
  });
  console.log(JSON.stringify(summary, null, 1));
  const figures = [];
  for (const [metric, label, name] of [
    ['busy', 'learner busy fraction (inference + training)', 'busy-density'],
    ['rssMB', 'learner resident memory (MB)', 'memory-density'],
    ['inMBps', 'learner receive bandwidth (MB/s)', 'bandwidth-density'],
  ] as const)
    figures.push({
      name,
      svg: await lineChart({
        title: `Density of ${label}, ${frames} frames per mode, ${actors} actors`,
        xLabel: label,
        yLabel: 'density',
        series: usageDensities(cells, metric),
      }),
      caption: `density over 0.5 s intervals of the ${label} per mode, each mode training ${frames} frames with ${actors} actors on ${ENV}, unlimited links, and seed vs coknight again with half the actors behind 1 MB/s and half behind 50 MB/s (${shaping.split(':')[0]}).`,
    });
  const data = { env: ENV, actors, frames, heteroLinks: hetero, shaping, summary, samples: cells.map((c) => ({ mode: c.mode, samples: c.cell.samples })) };
  for (const f of writeStudy({ study: 'fig09-learner-usage', profile: args.profile, command: args.command, data, figures }, args.out)) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
