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
 *   npx tsx experiments/fig10-bandwidth.ts --full    # caps 50, 20, 10, 5, 2 MB/s; 3 runs per cell (median)
 */
import { seriesByMode } from './lib/charts.js';
import { initBackend } from '../src/backend/index.js';
import { lineChart } from '../src/plot/charts.js';
import { parseBandwidth } from '../src/util/bandwidth.js';
import { hyperFor, runCell, type CellResult } from './lib/cell.js';
import { studyArgs } from './lib/cli.js';
import { writeStudy } from './lib/results.js';
import { withLinks } from './lib/shaping.js';
import { median } from './lib/stats.js';

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
  const rows: BandwidthRow[] = [];
  let shaping = '';
  for (const cap of caps) {
    await withLinks('fig10', ACTORS, cap, async (links) => {
      shaping = `${links.shaping}: ${links.why}`;
      for (const mode of MODES) {
        const runs: CellResult[] = [];
        for (let r = 0; r < (full ? 3 : 1); r++)
          runs.push(
            await runCell({
              mode: VARIANTS[mode].mode,
              actors: ACTORS,
              env: ENV,
              envsPerActor: 2,
              bandwidth: links.pacer,
              links: links.cell,
              actorExtraArgs: () => ['--link-bytes-per-sec', String(parseBandwidth(cap))],
              config: { hyper: hyperFor(full), ...(VARIANTS[mode].codec ? { distributed: { codec: VARIANTS[mode].codec } } : {}) },
              warmupSeconds: full ? 5 : 3,
              seconds: full ? 15 : 8,
            }),
          );
        const row: BandwidthRow = {
          mode,
          capMBps: parseBandwidth(cap) / 1e6,
          shaping: links.shaping,
          trainFramesPerSec: median(runs.map((c) => c.trainFramesPerSec)),
          envStepsPerSec: median(runs.map((c) => c.envStepsPerSec)),
          inferenceBusy: median(runs.map((c) => c.inferenceBusy)),
          trainingBusy: median(runs.map((c) => c.trainingBusy)),
          splitPoints: runs[runs.length - 1].splitPoints,
        };
        console.log(
          `${cap} ${mode} (${links.shaping}): ${row.trainFramesPerSec.toFixed(0)} train frames/s, ${row.envStepsPerSec.toFixed(0)} env steps/s, y=[${row.splitPoints.join(',')}]`,
        );
        rows.push(row);
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
      caption: `${label} of seed / impala / coknight vs the per-actor cap (${caps.join(', ')}), ${ACTORS} actors on ${ENV}; links shaped by ${shaping}.`,
    });
  }
  const data = { env: ENV, actors: ACTORS, shaping, rows };
  for (const f of writeStudy({ study: 'fig10-bandwidth', profile: args.profile, command: args.command, data, figures }, args.out)) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
