/**
 * Fig. 8: return against frames and against wall time, Seed-RL / IMPALA / Coknight, MinAtar Breakout
 * and Space Invaders, ≥ 3 seeds per mode with mean ± stderr bands. Every run is a real distributed
 * run (`coknight train --mode <mode>`: learner here, actor processes on loopback) with its run
 * directory; the curves are read back from episodes.jsonl as `coknight compare` does.
 *
 *   npx tsx experiments/fig08-convergence.ts --quick   # 4 actors, 3 seeds, 6k frames per run
 *   npx tsx experiments/fig08-convergence.ts --full    # 12 actors, 3 seeds, 2M frames per run (hours)
 *
 * Each game starts from its shipped config (`configs/minatar-<game>.yaml`, the issue-17 tuning).
 * `--resume <dir>` keeps each finished run there and skips it on the next start, so a `--full` run
 * cut short goes on where it stopped (`--collect` writes the figures from the kept runs alone);
 * `--frames` and `--actors` override the profile's sizes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { bandChart, type BandSeries } from '../src/plot/band-chart.js';
import { bandOf, loadRun, type RunData } from '../src/run/compare.js';
import { runDistributed } from '../src/run/distributed.js';
import { studyArgs } from './lib/cli.js';
import { KeptRuns } from './lib/kept.js';
import { writeStudy, type Figure } from './lib/results.js';

const MODES = ['seed', 'impala', 'coknight'] as const;
const CONFIGS = fileURLToPath(new URL('../configs/', import.meta.url));
const GAMES = ['minatar/breakout', 'minatar/space_invaders'];

export interface ConvergenceRun {
  readonly env: string;
  readonly mode: string;
  readonly seed: number;
  readonly finalReturn: number;
  readonly framesPerSecond: number;
  readonly wallSeconds: number;
  readonly inferenceBusy: number | undefined;
  readonly trainingBusy: number | undefined;
  /** [frames, seconds, smoothed return], thinned to at most 200 points. */
  readonly curve: [number, number, number][];
}

/** One band per mode over its seeds, against frames or seconds. */
export function convergenceBands(runs: readonly ConvergenceRun[], env: string, x: 'frames' | 'time'): BandSeries[] {
  return MODES.map((mode) => {
    const mine = runs.filter((r) => r.env === env && r.mode === mode);
    const asRunData = mine.map((r) => ({ curve: r.curve.map(([f, t, y]): [number, number] => [x === 'frames' ? f : t, y]) }) as RunData);
    return { name: `${mode} (${mine.length} seeds)`, points: asRunData.length ? bandOf(asRunData, 60) : [] };
  }).filter((s) => s.points.length > 0);
}

/** "seed / impala / coknight, 3 seeds each", or the count per mode when they differ (a partial --collect). */
export function seedCounts(runs: readonly ConvergenceRun[], env: string): string {
  const n = MODES.map((m) => runs.filter((r) => r.env === env && r.mode === m).length);
  return n.every((k) => k === n[0]) ? `seed / impala / coknight, ${n[0]} seeds each` : MODES.map((m, i) => `${m} ${n[i]} seeds`).join(', ');
}

function thin<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))]);
}

async function main(): Promise<void> {
  const args = studyArgs('fig08-convergence', process.argv, [
    { flag: 'frames', description: "frames per run (default: the profile's)" },
    { flag: 'actors', description: "actor processes per run (default: the profile's)" },
  ]);
  const full = args.profile === 'full';
  const frames = args.numbers.frames ?? (full ? 2_000_000 : 6_000);
  const actors = args.numbers.actors ?? (full ? 12 : 4);
  const seeds = [1, 2, 3];
  await initBackend({ log: () => {} });
  const root = mkdtempSync(join(tmpdir(), 'ck-fig08-'));
  const kept = new KeptRuns(args.resume, args.collect);
  const runs: ConvergenceRun[] = [];
  try {
    for (const env of GAMES)
      for (const seed of seeds)
        for (const mode of MODES) {
          const name = `${env.replace('/', '-')}-${mode}-${seed}`;
          // A kept run counts only if it was made with these sizes.
          const r = await kept.get(`${name}-${frames}f-${actors}a`, async (): Promise<ConvergenceRun> => {
            const dir = join(root, name);
            const config = loadConfig(join(CONFIGS, `${env.replace('/', '-')}.yaml`), {
              mode,
              frames,
              seed,
              env: { id: env },
              distributed: { actors, envsPerActor: 4, metricsListen: '' },
              run: { dir, progress: 'none', checkpointEverySeconds: 1e9, returnWindow: 20 },
            });
            await runDistributed(config, { spawnActors: actors, log: () => {} });
            const byFrames = loadRun(dir, 'mode', 'frames');
            const byTime = loadRun(dir, 'mode', 'time');
            const curve = thin(
              byFrames.curve.map(([f, y], i): [number, number, number] => [f, byTime.curve[i][0], y]),
              200,
            );
            const r: ConvergenceRun = {
              env,
              mode,
              seed,
              finalReturn: byFrames.finalReturn,
              framesPerSecond: byFrames.framesPerSecond,
              wallSeconds: byFrames.wallSeconds,
              inferenceBusy: byFrames.inferenceBusy,
              trainingBusy: byFrames.trainingBusy,
              curve,
            };
            console.log(
              `${env} ${mode} seed ${seed}: return ${r.finalReturn.toFixed(2)}, ${r.framesPerSecond.toFixed(0)} frames/s, ${r.wallSeconds.toFixed(0)} s`,
            );
            rmSync(dir, { recursive: true, force: true });
            return r;
          });
          if (r) runs.push(r);
        }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const figures: Figure[] = [];
  for (const env of GAMES)
    for (const x of ['frames', 'time'] as const) {
      const game = env.split('/')[1].replace('_', '-');
      figures.push({
        name: `${game}-vs-${x}`,
        svg: await bandChart({
          title: `${env}: return vs ${x === 'frames' ? 'frames' : 'wall time'}, ${actors} actors (mean ± stderr over seeds)`,
          xLabel: x === 'frames' ? 'frames' : 'wall time (s)',
          yLabel: 'mean return (last 20 episodes)',
          series: convergenceBands(runs, env, x),
        }),
        caption: `${env}: return vs ${x === 'frames' ? 'frames' : 'wall-clock seconds'} for ${seedCounts(runs, env)}, ${actors} actors × 4 envs, ${frames} frames per run.`,
      });
    }
  const data = { frames, actors, envsPerActor: 4, configs: GAMES.map((g) => `configs/${g.replace('/', '-')}.yaml`), seeds, games: GAMES, runs };
  for (const f of writeStudy({ study: 'fig08-convergence', profile: args.profile, command: args.command, data, figures }, args.out)) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
