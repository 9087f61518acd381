/**
 * Fig. 11: learner inference requests/s and training frames/s against the number of actors, Seed-RL
 * vs Coknight (DEFP's live plan), on Atari-sized frames (minatar-pixels/breakout), no link cap.
 * Every actor is a real `coknight actor` process on this machine, so beyond a few actors they compete
 * with the learner for the same cores: the curves show where this host saturates, not the paper's GPU.
 *
 *   npx tsx experiments/fig11-scaling.ts --quick   # 1, 2, 4, 8 actors; 6 s windows, updates of 4 × 10 frames
 *   npx tsx experiments/fig11-scaling.ts --full    # 1 … 64 actors; 3 runs per cell (median)
 */
import { seriesByMode } from './lib/charts.js';
import { initBackend } from '../src/backend/index.js';
import { lineChart } from '../src/plot/charts.js';
import { hyperFor, runCell, type CellResult } from './lib/cell.js';
import { studyArgs } from './lib/cli.js';
import { writeStudy } from './lib/results.js';
import { median } from './lib/stats.js';

const ENV = 'minatar-pixels/breakout';
const MODES = ['seed', 'coknight'] as const;

export interface ScalingRow {
  readonly mode: string;
  readonly actors: number;
  readonly requestsPerSec: number;
  readonly trainFramesPerSec: number;
  readonly envStepsPerSec: number;
  readonly inferenceBusy: number;
  readonly trainingBusy: number;
  readonly splitPoints: number[];
}

export function scalingSeries(rows: readonly ScalingRow[], key: 'requestsPerSec' | 'trainFramesPerSec'): { name: string; points: [number, number][] }[] {
  return seriesByMode(
    rows,
    MODES,
    (r) => r.actors,
    (r) => r[key],
  );
}

async function main(): Promise<void> {
  const args = studyArgs('fig11-scaling');
  const full = args.profile === 'full';
  const counts = full ? [1, 2, 4, 8, 16, 32, 64] : [1, 2, 4, 8];
  await initBackend({ log: () => {} });
  const rows: ScalingRow[] = [];
  for (const actors of counts)
    for (const mode of MODES) {
      const runs: CellResult[] = [];
      for (let r = 0; r < (full ? 3 : 1); r++)
        runs.push(
          await runCell({ mode, actors, env: ENV, envsPerActor: 2, config: { hyper: hyperFor(full) }, warmupSeconds: full ? 5 : 3, seconds: full ? 15 : 6 }),
        );
      const row: ScalingRow = {
        mode,
        actors,
        requestsPerSec: median(runs.map((c) => c.requestsPerSec)),
        trainFramesPerSec: median(runs.map((c) => c.trainFramesPerSec)),
        envStepsPerSec: median(runs.map((c) => c.envStepsPerSec)),
        inferenceBusy: median(runs.map((c) => c.inferenceBusy)),
        trainingBusy: median(runs.map((c) => c.trainingBusy)),
        splitPoints: runs[runs.length - 1].splitPoints,
      };
      console.log(
        `${actors} actors ${mode}: ${row.requestsPerSec.toFixed(0)} req/s, ${row.trainFramesPerSec.toFixed(0)} train frames/s, y=[${row.splitPoints.join(',')}]`,
      );
      rows.push(row);
    }
  const figures = [];
  for (const [key, label] of [
    ['requestsPerSec', 'inference requests/s'],
    ['trainFramesPerSec', 'training frames/s'],
  ] as const)
    figures.push({
      name: key === 'requestsPerSec' ? 'requests-vs-actors' : 'train-frames-vs-actors',
      svg: await lineChart({ title: `${label} vs number of actors, ${ENV}`, xLabel: 'actors', yLabel: label, logX: true, series: scalingSeries(rows, key) }),
      caption: `${label} at the learner vs number of actors (${counts.join(', ')}), seed vs coknight, ${ENV}, no link cap.`,
    });
  const data = { env: ENV, rows };
  for (const f of writeStudy({ study: 'fig11-scaling', profile: args.profile, command: args.command, data, figures }, args.out)) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
