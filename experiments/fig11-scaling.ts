/**
 * Fig. 11: learner inference requests/s and training frames/s against the number of actors, Seed-RL
 * vs Coknight (DEFP's live plan), on Atari-sized frames (minatar-pixels/breakout), no link cap.
 * Every actor is a real `coknight actor` process on this machine, so beyond a few actors they compete
 * with the learner for the same cores: the curves show where this host saturates, not the paper's GPU.
 *
 *   npx tsx experiments/fig11-scaling.ts --quick   # 1, 2, 4, 8 actors; 6 s windows, updates of 4 × 10 frames
 *   npx tsx experiments/fig11-scaling.ts --full    # 1 … 64 actors; 3 runs per cell (median), 20 s windows
 *
 * `--resume <dir>` keeps each finished run there (see lib/kept.ts); the modes take turns per count.
 */
import { seriesByMode } from './lib/charts.js';
import { initBackend } from '../src/backend/index.js';
import { lineChart } from '../src/plot/charts.js';
import { cellMedians, hyperFor, runCell, type CellResult } from './lib/cell.js';
import { KeptRuns } from './lib/kept.js';
import { studyArgs } from './lib/cli.js';
import { writeStudy } from './lib/results.js';

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
  /** Every run of the cell, in order (the row holds their medians). */
  readonly runs: readonly { requestsPerSec: number; trainFramesPerSec: number; splitPoints: number[] }[];
}

/** A cell's row: medians of its runs, and the runs themselves for the spread. */
export function scalingRow(mode: string, actors: number, cells: readonly CellResult[]): ScalingRow {
  return {
    mode,
    actors,
    ...cellMedians(cells),
    runs: cells.map((c) => ({ requestsPerSec: c.requestsPerSec, trainFramesPerSec: c.trainFramesPerSec, splitPoints: c.splitPoints })),
  };
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
  const kept = new KeptRuns(args.resume, args.collect);
  const reps = full ? 3 : 1;
  const rows: ScalingRow[] = [];
  for (const actors of counts) {
    // Repetition-major: the modes take turns, so a slow stretch of a shared machine hits both alike.
    const runs = new Map<string, CellResult[]>(MODES.map((m) => [m, []]));
    for (let r = 0; r < reps; r++)
      for (const mode of MODES) {
        const cell = await kept.get(`${args.profile}-${actors}a-${mode}-r${r + 1}`, () =>
          runCell({
            mode,
            actors,
            env: ENV,
            envsPerActor: 2,
            config: { hyper: hyperFor(full) },
            warmupSeconds: full ? 5 : 3,
            seconds: full ? 20 : 6,
            sampleMs: 250,
          }),
        );
        if (!cell) continue;
        console.log(
          `${actors} actors ${mode} run ${r + 1}: ${cell.requestsPerSec.toFixed(0)} req/s, ${cell.trainFramesPerSec.toFixed(0)} train frames/s, y=[${cell.splitPoints.join(',')}]`,
        );
        runs.get(mode)!.push(cell);
      }
    for (const mode of MODES) {
      const cells = runs.get(mode)!;
      if (cells.length > 0) rows.push(scalingRow(mode, actors, cells));
    }
  }
  const figures = [];
  for (const [key, label] of [
    ['requestsPerSec', 'inference requests/s'],
    ['trainFramesPerSec', 'training frames/s'],
  ] as const)
    figures.push({
      name: key === 'requestsPerSec' ? 'requests-vs-actors' : 'train-frames-vs-actors',
      svg: await lineChart({ title: `${label} vs number of actors, ${ENV}`, xLabel: 'actors', yLabel: label, logX: true, series: scalingSeries(rows, key) }),
      caption: `${label} at the learner vs number of actors (${counts.join(', ')}), seed vs coknight (median of ${reps} run${reps > 1 ? 's' : ''} per cell), ${ENV}, no link cap.`,
    });
  const data = { env: ENV, rows };
  for (const f of writeStudy({ study: 'fig11-scaling', profile: args.profile, command: args.command, data, figures }, args.out)) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
