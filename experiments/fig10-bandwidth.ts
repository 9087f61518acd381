/**
 * Fig. 10: training frames/s and env steps/s against the per-actor link cap (50 → 2 MB/s), 6 actors,
 * Seed-RL / IMPALA / Coknight, on Atari-sized frames (minatar-pixels/breakout: 84×84×4, b_0 = 28 KB).
 * Links are shaped by the testbed's tc (tbf in network namespaces) as root, by the application pacer
 * otherwise; the JSON and the figure titles say which. `coknight+ae4q4` is Coknight with the ae4q4
 * feature codec held at the lowest split it fits (distributed.codec): DEFP prices that split at the
 * codec's 800 B instead of the float32 feature's 25,600 B (issue 13 item 5). All cells of one cap run back to back, so the
 * ratios between modes are comparable even on a shared machine; absolute numbers are not.
 *
 *   npx tsx experiments/fig10-bandwidth.ts --quick   # caps 50, 10, 2 MB/s; 8 s windows, updates of 4 × 10 frames
 *   npx tsx experiments/fig10-bandwidth.ts --full    # caps 50, 20, 10, 5, 2 MB/s; 3 runs per cell (median), 20 s windows
 *
 * `--resume <dir>` keeps each finished run there (see lib/kept.ts); the modes take turns within a cap.
 */
import { seriesByMode } from './lib/charts.js';
import { initBackend } from '../src/backend/index.js';
import { lineChart } from '../src/plot/charts.js';
import { parseBandwidth } from '../src/util/bandwidth.js';
import { cellMedians, hyperFor, runCell, type CellResult } from './lib/cell.js';
import { KeptRuns } from './lib/kept.js';
import { studyArgs } from './lib/cli.js';
import { writeStudy } from './lib/results.js';
import { withLinks } from './lib/shaping.js';

const MODES = ['seed', 'impala', 'coknight', 'coknight+ae4q4'] as const;
/** A row's mode: the run mode and the feature codec the learner holds (none for the baselines). */
const VARIANTS: Record<(typeof MODES)[number], { mode: 'seed' | 'impala' | 'coknight'; codec?: string }> = {
  seed: { mode: 'seed' },
  impala: { mode: 'impala' },
  coknight: { mode: 'coknight' },
  'coknight+ae4q4': { mode: 'coknight', codec: 'ae4q4' },
};
const ENV = 'minatar-pixels/breakout';
const ACTORS = 6;

export interface BandwidthRow {
  readonly mode: string;
  readonly capMBps: number;
  readonly shaping: string;
  readonly trainFramesPerSec: number;
  readonly envStepsPerSec: number;
  readonly inferenceBusy: number;
  readonly trainingBusy: number;
  readonly splitPoints: number[];
  /** Every run of the cell, in order (the row holds their medians). */
  readonly runs: readonly RunValues[];
}

export interface RunValues {
  readonly trainFramesPerSec: number;
  readonly envStepsPerSec: number;
  readonly splitPoints: number[];
}

/** A cell's row: medians of its runs, and the runs themselves for the spread. */
export function bandwidthRow(mode: string, capMBps: number, shaping: string, cells: readonly CellResult[]): BandwidthRow {
  const { trainFramesPerSec, envStepsPerSec, inferenceBusy, trainingBusy, splitPoints } = cellMedians(cells);
  return {
    mode,
    capMBps,
    shaping,
    trainFramesPerSec,
    envStepsPerSec,
    inferenceBusy,
    trainingBusy,
    splitPoints,
    runs: cells.map((c) => ({ trainFramesPerSec: c.trainFramesPerSec, envStepsPerSec: c.envStepsPerSec, splitPoints: c.splitPoints })),
  };
}

export function bandwidthSeries(rows: readonly BandwidthRow[], key: 'trainFramesPerSec' | 'envStepsPerSec'): { name: string; points: [number, number][] }[] {
  return seriesByMode(
    rows,
    MODES,
    (r) => r.capMBps,
    (r) => r[key],
  );
}

async function main(): Promise<void> {
  const args = studyArgs('fig10-bandwidth');
  const full = args.profile === 'full';
  const caps = full ? ['50MB/s', '20MB/s', '10MB/s', '5MB/s', '2MB/s'] : ['50MB/s', '10MB/s', '2MB/s'];
  await initBackend({ log: () => {} });
  const kept = new KeptRuns(args.resume, args.collect);
  const reps = full ? 3 : 1;
  const rows: BandwidthRow[] = [];
  let shaping = '';
  for (const cap of caps) {
    await withLinks('fig10', ACTORS, cap, async (links) => {
      shaping = `${links.shaping}: ${links.why}`;
      // Repetition-major: the modes take turns, so a slow stretch of a shared machine hits all alike.
      const runs = new Map<string, CellResult[]>(MODES.map((m) => [m, []]));
      for (let r = 0; r < reps; r++)
        for (const mode of MODES) {
          const key = `${args.profile}-${cap.replace('/', 'p')}-${mode}-r${r + 1}`;
          const cell = await kept.get(key, () =>
            runCell({
              mode: VARIANTS[mode].mode,
              actors: ACTORS,
              env: ENV,
              envsPerActor: 2,
              bandwidth: links.pacer,
              links: links.cell,
              actorExtraArgs: () => ['--link-bytes-per-sec', String(parseBandwidth(cap))],
              config: { hyper: hyperFor(full), ...(VARIANTS[mode].codec ? { distributed: { codec: VARIANTS[mode].codec } } : {}) },
              warmupSeconds: full ? 5 : 3,
              seconds: full ? 20 : 8,
              sampleMs: 250,
            }),
          );
          if (!cell) continue;
          console.log(
            `${cap} ${mode} run ${r + 1} (${links.shaping}): ${cell.trainFramesPerSec.toFixed(0)} train frames/s, ${cell.envStepsPerSec.toFixed(0)} env steps/s, y=[${cell.splitPoints.join(',')}]`,
          );
          runs.get(mode)!.push(cell);
        }
      for (const mode of MODES) {
        const cells = runs.get(mode)!;
        if (cells.length === 0) continue;
        rows.push(bandwidthRow(mode, parseBandwidth(cap) / 1e6, links.shaping, cells));
      }
    });
  }
  const figures = [];
  for (const [key, label] of [
    ['trainFramesPerSec', 'training frames/s'],
    ['envStepsPerSec', 'env steps/s'],
  ] as const) {
    figures.push({
      name: key === 'trainFramesPerSec' ? 'train-frames-vs-cap' : 'env-steps-vs-cap',
      svg: await lineChart({
        title: `${label} vs per-actor link cap, ${ACTORS} actors, ${ENV} (${shaping.split(':')[0]})`,
        xLabel: 'per-actor link cap (MB/s)',
        yLabel: label,
        logX: true,
        series: bandwidthSeries(rows, key),
      }),
      caption: `${label} of ${MODES.join(' / ')} (median of ${reps} run${reps > 1 ? 's' : ''} per cell) vs the per-actor cap (${caps.join(', ')}), ${ACTORS} actors on ${ENV}; links shaped by ${shaping}.`,
    });
  }
  const data = { env: ENV, actors: ACTORS, shaping, rows };
  for (const f of writeStudy({ study: 'fig10-bandwidth', profile: args.profile, command: args.command, data, figures }, args.out)) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
