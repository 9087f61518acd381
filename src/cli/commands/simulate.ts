import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NETWORKS } from '../../partition/networks.js';
import { DEFAULT_SIMULATION, runSimulation, type SimulationConfig, type SimulationPoint } from '../../partition/simulate.js';
import { simulationCharts } from '../../partition/simulatePlots.js';
import { ALGORITHMS, isAlgorithm, type Algorithm } from '../../partition/solve.js';
import { svgToPng } from '../../plot/png.js';
import { TaskProgress } from '../../run/task-progress.js';
import { parseIntArg, parseNumberArg } from '../args.js';
import { simulateSiteCommand } from './site.js';

function parseCounts(value: string): number[] {
  const xs = value.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError(`--actors must be a comma-separated list of integers >= 1, got "${value}"`);
  }
  return xs;
}

function parseAlgorithms(value: string): Algorithm[] {
  const xs = value.split(',').map((s) => s.trim());
  for (const a of xs) if (!isAlgorithm(a)) throw new InvalidArgumentError(`--algorithms: unknown solver "${a}"; choose from ${ALGORITHMS.join(', ')}`);
  return xs as Algorithm[];
}

/** `coknight simulate`: the paper's large-scale partition study (Fig. 12) with JSON and plots. */
export function registerSimulate(program: Command): void {
  const d = DEFAULT_SIMULATION;
  program
    .command('simulate')
    .description('large-scale partition simulation (paper Fig. 12): every solver, elastic and non-elastic learner, 1..1000 actors')
    .addOption(new Option('--network <name>', 'policy network of the cost model').choices(Object.keys(NETWORKS)).default(d.network))
    .option('--actors <list>', 'actor counts, comma-separated', parseCounts, d.actorCounts)
    .option('--algorithms <list>', `solvers, comma-separated (${ALGORITHMS.join(', ')})`, parseAlgorithms, d.algorithms)
    .option('--seed <n>', 'seed of the device draw', parseIntArg('--seed', 0), d.seed)
    .option(
      '--compute-share <x>',
      'learner compute per actor, as a fraction of full offload (Σ C_e(0))',
      parseNumberArg('--compute-share', 0),
      d.budget.computeShare,
    )
    .option(
      '--bandwidth-share <x>',
      'learner bandwidth per actor, as a fraction of full offload (Σ δ·b_0)',
      parseNumberArg('--bandwidth-share', 0),
      d.budget.bandwidthShare,
    )
    .option('--non-elastic-actors <n>', 'non-elastic learner: budgets sized for this many actors', parseIntArg('--non-elastic-actors', 1), d.nonElasticActors)
    .option('--milp-max-actors <n>', 'skip MILP above this many actors', parseIntArg('--milp-max-actors', 1), d.milpMaxActors)
    .option('--milp-time-limit <s>', 'MILP wall-clock limit per instance, seconds', parseNumberArg('--milp-time-limit', 0), d.milpTimeLimitSec)
    .option('--passes <n>', 'DEFP improvement passes after the arrivals', parseIntArg('--passes', 0), d.defpPasses)
    .option('--codecs <list>', 'feature codecs offered at every split, comma-separated (e.g. f16,q8,ae4q4; joint (y, codec) space)', (v: string) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .option('--lossless-only', 'with --codecs: forbid lossy codecs')
    .option('--site <file>', 'a site instance (kind "site"): predicted latency of each site planner on its first 1..N devices')
    .option('--site-algorithms <list>', 'site planners for --site, comma-separated', 'mls,lcpss-osds,sls,single')
    .option('--out <dir>', 'output directory for results.json and the plots', 'runs/simulate')
    .option('--no-png', 'write SVG plots only')
    .option('--json', 'print the results JSON to stdout')
    .action(
      async (opts: {
        network: string;
        actors: number[];
        algorithms: Algorithm[];
        seed: number;
        computeShare: number;
        bandwidthShare: number;
        nonElasticActors: number;
        milpMaxActors: number;
        milpTimeLimit: number;
        passes: number;
        codecs?: string[];
        losslessOnly?: boolean;
        out: string;
        png: boolean;
        json?: boolean;
        site?: string;
        siteAlgorithms: string;
      }) => {
        if (opts.site) return simulateSiteCommand(opts.site, opts.siteAlgorithms.split(','), opts.json === true);
        const config: SimulationConfig = {
          network: opts.network,
          actorCounts: opts.actors,
          seed: opts.seed,
          budget: { computeShare: opts.computeShare, bandwidthShare: opts.bandwidthShare },
          nonElasticActors: opts.nonElasticActors,
          algorithms: opts.algorithms,
          milpMaxActors: opts.milpMaxActors,
          milpTimeLimitSec: opts.milpTimeLimit,
          defpPasses: opts.passes,
          ...(opts.codecs ? { codecs: opts.codecs } : {}),
          ...(opts.losslessOnly ? { allowLossyCodecs: false } : {}),
        };
        const total = 2 * config.actorCounts.length * config.algorithms.length;
        // A bar with an ETA on a TTY; otherwise a line per point (as before), with the count and ETA.
        const progress = new TaskProgress('simulate', total, { unit: 'points', kind: opts.json ? 'none' : 'auto', lineEverySeconds: 0 });
        const onPoint = (p: SimulationPoint) =>
          progress.tick(1, `${p.server} N=${p.actors} ${p.algorithm}: reduction ${p.latencyReductionMs.toFixed(2)} ms, ${p.solveMs.toFixed(1)} ms`);
        const result = await runSimulation(config, onPoint);
        progress.stop();
        mkdirSync(opts.out, { recursive: true });
        writeFileSync(join(opts.out, 'results.json'), JSON.stringify(result, null, 2) + '\n');
        const files = [join(opts.out, 'results.json')];
        for (const c of await simulationCharts(result)) {
          const svgPath = join(opts.out, `${c.name}.svg`);
          writeFileSync(svgPath, c.svg);
          files.push(svgPath);
          if (opts.png) {
            const pngPath = join(opts.out, `${c.name}.png`);
            writeFileSync(pngPath, svgToPng(c.svg));
            files.push(pngPath);
          }
        }
        if (opts.json) console.log(JSON.stringify(result));
        else {
          printSummary(result.points, config.algorithms);
          for (const n of result.notes) console.log(`note: ${n}`);
          console.log(`wrote ${files.length} files to ${opts.out}/`);
        }
      },
    );
}

function printSummary(points: SimulationPoint[], algorithms: Algorithm[]): void {
  for (const server of ['elastic', 'non-elastic'] as const) {
    console.log(`\n${server} server — total latency reduction (ms) / solve time (ms)`);
    const ns = [...new Set(points.filter((p) => p.server === server).map((p) => p.actors))];
    console.log(['actors', ...algorithms].map((s) => s.padStart(20)).join(''));
    for (const n of ns) {
      const cells = algorithms.map((a) => {
        const p = points.find((q) => q.server === server && q.actors === n && q.algorithm === a);
        return (p ? `${p.latencyReductionMs.toFixed(1)} / ${p.solveMs.toFixed(1)}` : 'skipped').padStart(20);
      });
      console.log(String(n).padStart(20) + cells.join(''));
    }
  }
  const withCodecs = points.filter((p) => p.strategyUse);
  if (withCodecs.length) console.log('\nactors per split point:codec');
  for (const p of withCodecs) {
    const use = Object.entries(p.strategyUse!).map(([k, v]) => `${k}×${v}`);
    console.log(`  ${p.server} N=${p.actors} ${p.algorithm}: ${use.join(', ')}`);
  }
}
