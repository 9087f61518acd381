import { actorCosts, resourceTable } from './cost.js';
import type { PartitionInstance } from './instance.js';
import { NETWORKS, type NetworkSpec } from './networks.js';
import { drawActors, edgeFor, makeInstance, type BudgetSpec } from './profiles.js';
import { solvePartition, type Algorithm } from './solve.js';
import { variance } from './stats.js';
import { Rng } from '../util/rng.js';

/**
 * The paper's large-scale study (§5, Fig. 12): actors drawn from device profiles, an elastic learner
 * (budgets grow with the number of actors) and a non-elastic one (budgets fixed), every solver on the
 * same instances. The actors of a smaller N are the first N of the larger ones, as if they had arrived
 * in that order.
 */

export type ServerKind = 'elastic' | 'non-elastic';

export interface SimulationConfig {
  network: string;
  actorCounts: number[];
  seed: number;
  budget: BudgetSpec;
  /** Non-elastic server: budgets sized for this many actors, whatever the actual count. */
  nonElasticActors: number;
  algorithms: Algorithm[];
  /** MILP is skipped above this many actors (the skip is recorded in the output). */
  milpMaxActors: number;
  milpTimeLimitSec: number;
  defpPasses: number;
}

export const DEFAULT_SIMULATION: SimulationConfig = {
  network: 'impala-deep',
  actorCounts: [1, 10, 50, 100, 200, 500, 1000],
  seed: 1,
  budget: { computeShare: 0.3, bandwidthShare: 0.3 },
  nonElasticActors: 100,
  algorithms: ['defp', 'igreedy', 'ogreedy', 'milp'],
  milpMaxActors: 1000,
  milpTimeLimitSec: 60,
  defpPasses: 10,
};

export interface SimulationPoint {
  server: ServerKind;
  actors: number;
  algorithm: Algorithm;
  /** Σ (T_i(K) − T_i(y_i)) in milliseconds. */
  latencyReductionMs: number;
  /** Population variance of the split points y_i. */
  strategyVariance: number;
  /** Population variance of the per-actor latency reductions, ms². */
  reductionVarianceMs2: number;
  solveMs: number;
  feasible: boolean;
  /** Solver details (DEFP passes, MILP status). */
  details: Record<string, unknown>;
}

export interface SimulationResult {
  config: SimulationConfig;
  network: { name: string; K: number; inputBytes: number; layers: NetworkSpec['layers'] };
  points: SimulationPoint[];
  /** Runs that were skipped or did not prove optimality, in words. */
  notes: string[];
}

export function simulationInstance(config: SimulationConfig, server: ServerKind, n: number): PartitionInstance {
  const net = resolveNetwork(config.network);
  const maxN = Math.max(...config.actorCounts);
  const actors = drawActors(maxN, new Rng(config.seed)).slice(0, n);
  const capacity = server === 'elastic' ? n : config.nonElasticActors;
  return makeInstance(net, edgeFor(net, capacity, config.budget), actors);
}

export function resolveNetwork(name: string): NetworkSpec {
  const make = NETWORKS[name];
  if (!make) throw new RangeError(`unknown network "${name}"; choose one of: ${Object.keys(NETWORKS).join(', ')}`);
  return make();
}

/** Per-assignment metrics of the paper's Fig. 12. */
export function assignmentMetrics(inst: PartitionInstance, assignment: readonly number[]): { strategyVariance: number; reductionVarianceMs2: number } {
  const res = resourceTable(inst);
  const reductions = inst.actors.map((a, i) => 1e3 * actorCosts(inst, res, a).gain[assignment[i]]);
  return { strategyVariance: variance(assignment), reductionVarianceMs2: variance(reductions) };
}

export async function runSimulation(config: SimulationConfig, onPoint?: (p: SimulationPoint) => void): Promise<SimulationResult> {
  validateConfig(config);
  const net = resolveNetwork(config.network);
  const points: SimulationPoint[] = [];
  const notes: string[] = [];
  for (const server of ['elastic', 'non-elastic'] as const) {
    for (const n of config.actorCounts) {
      const inst = simulationInstance(config, server, n);
      for (const algorithm of config.algorithms) {
        if (algorithm === 'milp' && n > config.milpMaxActors) {
          notes.push(`${server}, ${n} actors: MILP skipped (more than --milp-max-actors ${config.milpMaxActors})`);
          continue;
        }
        const r = await solvePartition(inst, algorithm, {
          defpPasses: config.defpPasses,
          milp: { timeLimitSec: config.milpTimeLimitSec },
        });
        if (algorithm === 'milp' && r.details.optimal === false) {
          notes.push(`${server}, ${n} actors: MILP stopped at "${String(r.details.status)}" (best found, not proven optimal)`);
        }
        const p: SimulationPoint = {
          server,
          actors: n,
          algorithm,
          latencyReductionMs: 1e3 * r.latencyReduction,
          ...assignmentMetrics(inst, r.assignment),
          solveMs: r.solveMs,
          feasible: r.feasible,
          details: r.details,
        };
        points.push(p);
        onPoint?.(p);
      }
    }
  }
  return { config, network: { name: net.name, K: net.layers.length, inputBytes: net.inputBytes, layers: net.layers }, points, notes };
}

function validateConfig(c: SimulationConfig): void {
  if (c.actorCounts.length === 0) throw new RangeError('actorCounts must list at least one actor count');
  for (const n of c.actorCounts) if (!Number.isInteger(n) || n < 1) throw new RangeError(`actor counts must be integers >= 1, got ${n}`);
  if (c.algorithms.length === 0) throw new RangeError('algorithms must list at least one solver');
  if (!(c.budget.computeShare >= 0) || !(c.budget.bandwidthShare >= 0)) throw new RangeError('budget shares must be >= 0');
  if (!Number.isInteger(c.nonElasticActors) || c.nonElasticActors < 1)
    throw new RangeError(`nonElasticActors must be an integer >= 1, got ${c.nonElasticActors}`);
}

export const SIMULATION_METRICS = [
  { key: 'latencyReductionMs', title: 'Total latency reduction', yLabel: 'latency reduction (ms)', logY: false },
  { key: 'strategyVariance', title: 'Strategy variance', yLabel: 'variance of split points', logY: false },
  { key: 'reductionVarianceMs2', title: 'Latency-reduction variance', yLabel: 'variance (ms²)', logY: false },
  { key: 'solveMs', title: 'Solve time', yLabel: 'solve time (ms)', logY: true },
] as const;

export const ALGORITHM_LABELS: Record<Algorithm, string> = { defp: 'DEFP', igreedy: 'IGreedy', ogreedy: 'OGreedy', milp: 'MILP' };

/** Series (one per algorithm) of one metric for one server kind, ready for lineChart. */
export function metricSeries(
  result: SimulationResult,
  server: ServerKind,
  key: (typeof SIMULATION_METRICS)[number]['key'],
): { name: string; points: [number, number][] }[] {
  return result.config.algorithms
    .map((alg) => ({
      name: ALGORITHM_LABELS[alg],
      points: result.points.filter((p) => p.server === server && p.algorithm === alg).map((p) => [p.actors, p[key]] as [number, number]),
    }))
    .filter((s) => s.points.length > 0);
}
