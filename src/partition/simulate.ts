import { actorCosts, resourceTable } from './cost.js';
import type { PartitionInstance } from './instance.js';
import { modelNetworkWithCodecs } from './codec-options.js';
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
  /** Codecs offered at every split (joint (y, codec) space); empty = float32 only. Model networks only. */
  codecs?: string[];
  /** false: only lossless codecs may be chosen. */
  allowLossyCodecs?: boolean;
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
  /** How many actors use each (y, codec), keyed "y:codec" (e.g. "2:ae4q4"); present with codecs. */
  strategyUse?: Record<string, number>;
}

export interface SimulationResult {
  config: SimulationConfig;
  network: { name: string; K: number; inputBytes: number; layers: NetworkSpec['layers'] };
  points: SimulationPoint[];
  /** Runs that were skipped or did not prove optimality, in words. */
  notes: string[];
}

export function simulationInstance(config: SimulationConfig, server: ServerKind, n: number): PartitionInstance {
  const net = resolveNetwork(config.network, config.codecs);
  const maxN = Math.max(...config.actorCounts);
  const actors = drawActors(maxN, new Rng(config.seed)).slice(0, n);
  const capacity = server === 'elastic' ? n : config.nonElasticActors;
  // Budgets are sized on float32 traffic, so codecs compete for the same learner as without them.
  const edge = edgeFor(net, capacity, config.budget);
  return makeInstance(net, config.allowLossyCodecs === false ? { ...edge, allowLossyCodecs: false } : edge, actors);
}

/** The model networks' input shapes and action counts, as NETWORKS builds them (for codec tables). */
const MODEL_SHAPES: Record<string, { spec: 'minatar' | 'impala-shallow' | 'impala-deep'; input: [number, number, number]; actions: number }> = {
  minatar: { spec: 'minatar', input: [10, 10, 4], actions: 6 },
  'impala-shallow': { spec: 'impala-shallow', input: [84, 84, 4], actions: 18 },
  'impala-deep': { spec: 'impala-deep', input: [84, 84, 4], actions: 18 },
};

export function resolveNetwork(name: string, codecs: readonly string[] = []): NetworkSpec {
  const make = NETWORKS[name];
  if (!make) throw new RangeError(`unknown network "${name}"; choose one of: ${Object.keys(NETWORKS).join(', ')}`);
  if (codecs.length === 0) return make();
  const m = MODEL_SHAPES[name];
  if (!m) throw new RangeError(`codecs need a model network (${Object.keys(MODEL_SHAPES).join(', ')}): "${name}" has no feature shapes`);
  return modelNetworkWithCodecs(m.spec, m.input, m.actions, codecs);
}

/** Actors per "y:codec" of a solver result. */
export function strategyUse(r: { assignment: readonly number[]; codecs: readonly string[] }): Record<string, number> {
  const out: Record<string, number> = {};
  r.assignment.forEach((y, i) => {
    const k = `${y}:${r.codecs[i]}`;
    out[k] = (out[k] ?? 0) + 1;
  });
  return out;
}

/**
 * Per-assignment metrics of the paper's Fig. 12, from strategy indices (= split points without codecs):
 * the variance is over split points y_i.
 */
export function assignmentMetrics(inst: PartitionInstance, strategies: readonly number[]): { strategyVariance: number; reductionVarianceMs2: number } {
  const res = resourceTable(inst);
  const reductions = inst.actors.map((a, i) => 1e3 * actorCosts(inst, res, a).gain[strategies[i]]);
  return { strategyVariance: variance(strategies.map((s) => res.strategies[s].y)), reductionVarianceMs2: variance(reductions) };
}

export async function runSimulation(config: SimulationConfig, onPoint?: (p: SimulationPoint) => void): Promise<SimulationResult> {
  validateConfig(config);
  const net = resolveNetwork(config.network, config.codecs);
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
          ...assignmentMetrics(inst, r.strategies),
          solveMs: r.solveMs,
          feasible: r.feasible,
          details: r.details,
          ...(config.codecs?.length ? { strategyUse: strategyUse(r) } : {}),
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
