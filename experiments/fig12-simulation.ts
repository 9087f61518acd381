/**
 * Fig. 12: the partition simulator's large-scale study (src/partition/simulate.ts): DEFP, IGreedy,
 * OGreedy and MILP on actors drawn from device profiles, for an elastic learner (budgets grow with the
 * actors) and a non-elastic one (budgets fixed for 100 actors). Model only: no process is started.
 *
 *   npx tsx experiments/fig12-simulation.ts --quick   # 1…100 actors, MILP ≤ 50 actors, 5 s limit
 *   npx tsx experiments/fig12-simulation.ts --full    # the paper's 1…1000 actors, MILP 60 s limit
 */
import { DEFAULT_SIMULATION, runSimulation, type SimulationConfig } from '../src/partition/simulate.js';
import { simulationCharts } from '../src/partition/simulatePlots.js';
import { studyArgs } from './lib/cli.js';
import { writeStudy, type Figure } from './lib/results.js';

const CAPTIONS: Record<string, string> = {
  latencyReductionMs: 'total latency reduction Σ(T_i(K) − T_i(y_i)) per solver vs number of actors',
  strategyVariance: 'variance of the chosen split points per solver vs number of actors',
  reductionVarianceMs2: "variance of the actors' latency reductions (fairness) per solver",
  solveMs: 'solve time per solver (log scale); MILP stops at its time limit',
};

export function simulationProfile(profile: 'quick' | 'full'): SimulationConfig {
  return profile === 'full' ? DEFAULT_SIMULATION : { ...DEFAULT_SIMULATION, actorCounts: [1, 10, 50, 100], milpMaxActors: 50, milpTimeLimitSec: 5 };
}

async function main(): Promise<void> {
  const args = studyArgs('fig12-simulation');
  const config = simulationProfile(args.profile);
  const result = await runSimulation(config, (p) =>
    console.log(`${p.server} ${p.actors} ${p.algorithm}: ${p.latencyReductionMs.toFixed(1)} ms, ${p.solveMs.toFixed(0)} ms solve`),
  );
  const figures: Figure[] = (await simulationCharts(result)).map((c) => {
    const [server, key] = [c.name.startsWith('non-elastic') ? 'non-elastic' : 'elastic', c.name.replace(/^(non-)?elastic-/, '')];
    return {
      name: c.name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`),
      svg: c.svg,
      caption: `${server} learner: ${CAPTIONS[key] ?? key} (${result.network.name})`,
    };
  });
  for (const f of writeStudy({ study: 'fig12-simulation', profile: args.profile, command: args.command, data: result, figures }, args.out)) console.log(f);
  for (const n of result.notes) console.log(`note: ${n}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
