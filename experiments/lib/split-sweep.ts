/**
 * The where-split-wins sweep as pure functions: for a network, N identical actors of a device class on
 * a link, and a learner of f_e FLOP/s, the training steps/s of Seed-RL (y = 0 for all), IMPALA
 * (y = K for all), every uniform intermediate y, and Coknight (DEFP's plan), by the throughput model
 * (throughput-model.ts). DEFP gets the per-round compute budget the learner really has left: what it
 * computes while an average actor takes one local step, minus the training of that round's N steps.
 */
import { solveDefp } from '../../src/partition/defp.js';
import { responseTime } from '../../src/partition/cost.js';
import type { PartitionInstance, PartitionSystem } from '../../src/partition/instance.js';
import type { NetworkSpec } from '../../src/partition/networks.js';
import { IDENTITY_CODEC, type SplitCodec } from './codecs.js';
import { planThroughput, stepCost, trainFlopsPerStep, type DeviceLink } from './throughput-model.js';

export interface SweepCellSpec {
  readonly net: NetworkSpec;
  readonly device: string;
  readonly deviceFlops: number;
  readonly linkBytesPerSec: number;
  readonly learnerFlops: number;
  readonly actors: number;
  readonly codec?: SplitCodec;
  /** Training-upload bytes per step at y > 0 (default b_0: raw observations). */
  readonly uploadBytes?: number;
}

export interface SweepCell {
  readonly network: string;
  readonly codec: string;
  readonly device: string;
  readonly deviceFlops: number;
  readonly linkBytesPerSec: number;
  readonly learnerFlops: number;
  readonly actors: number;
  /** DEFP's per-round compute budget R_c (FLOPs). */
  readonly computeBudget: number;
  /** Training steps/s of each uniform split y = 0..K. */
  readonly uniform: number[];
  readonly defpPlan: number[];
  readonly defp: number;
  readonly seed: number;
  readonly impala: number;
  /** Learner-bound under DEFP's plan. */
  readonly learnerBound: boolean;
  readonly winner: string;
  /** DEFP's plan uses some 0 < y < K. */
  readonly intermediate: boolean;
  /** ... and beats both y = 0 and y = K for all by more than 1%. */
  readonly intermediateWins: boolean;
  /** The uniform split with the most steps/s, and whether it is intermediate and beats all three modes by > 1%. */
  readonly bestUniform: number;
  readonly uniformIntermediateWins: boolean;
}

export function systemOf(net: NetworkSpec, learnerFlops: number, computeBudget = 1e30): PartitionSystem {
  return { inputBytes: net.inputBytes, layers: net.layers, edge: { flops: learnerFlops, computeBudget, bandwidthBudget: 1e30, delta: 1 } };
}

/**
 * The system DEFP plans on with a codec row: at every split the codec fits it is the only strategy
 * (`plain: false`), priced at the codec's bytes and FLOPs (Eq. 6 with the codec), so strategy s is
 * still split point y = s.
 */
export function withCodec(sys: PartitionSystem, codec: SplitCodec): PartitionSystem {
  const K = sys.layers.length;
  if (!codec.option) return sys;
  const layers = sys.layers.map((l, i) => {
    const o = i < K - 1 ? codec.option!(i + 1) : undefined;
    return o ? { ...l, plain: false, codecs: [o] } : l;
  });
  return { ...sys, layers };
}

/** "12×y3" or "8×y0 4×y3": a plan in a few characters. */
export function describePlan(plan: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const y of plan) counts.set(y, (counts.get(y) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([y, n]) => `${n}×y${y}`)
    .join(' ');
}

/** The winner's label: Coknight counts as a winner of its own only when its plan differs from both baselines. */
export function winnerOf(seed: number, impala: number, defp: number, plan: readonly number[], K: number): string {
  const allAt = (y: number): boolean => plan.every((p) => p === y);
  const best = Math.max(seed, impala, defp);
  if (allAt(0)) return seed >= impala ? 'seed = coknight' : 'impala';
  if (allAt(K)) return impala >= seed ? 'impala = coknight' : 'seed';
  if (defp >= best * 0.99 && defp > 1.01 * Math.max(seed, impala)) return 'coknight';
  return seed >= impala ? 'seed' : 'impala';
}

export function sweepCell(c: SweepCellSpec): SweepCell {
  const codec = c.codec ?? IDENTITY_CODEC;
  const K = c.net.layers.length;
  const base = systemOf(c.net, c.learnerFlops);
  const train = trainFlopsPerStep(base);
  const actors: DeviceLink[] = Array.from({ length: c.actors }, () => ({ flops: c.deviceFlops, linkBytesPerSec: c.linkBytesPerSec }));
  const localStep = stepCost(base, actors[0], K, codec, c.uploadBytes);
  const computeBudget = Math.max(1, c.learnerFlops * (localStep.device + localStep.link) - c.actors * train);
  const sys = systemOf(c.net, c.learnerFlops, computeBudget);
  const inst: PartitionInstance = { ...withCodec(sys, codec), actors: actors.map((a, i) => ({ id: `a${i}`, ...a })) };
  const defpPlan = solveDefp(inst).assignment; // strategy indices, which withCodec keeps equal to split points
  const rate = (plan: readonly number[]) => planThroughput(sys, actors, plan, train, codec, c.uploadBytes);
  const uniform = Array.from({ length: K + 1 }, (_, y) => rate(actors.map(() => y)).totalStepsPerSec);
  const d = rate(defpPlan);
  const seed = uniform[0];
  const impala = uniform[K];
  const intermediate = defpPlan.some((y) => y > 0 && y < K);
  const bestUniform = uniform.indexOf(Math.max(...uniform));
  return {
    network: c.net.name,
    codec: codec.name,
    device: c.device,
    deviceFlops: c.deviceFlops,
    linkBytesPerSec: c.linkBytesPerSec,
    learnerFlops: c.learnerFlops,
    actors: c.actors,
    computeBudget,
    uniform,
    defpPlan,
    defp: d.totalStepsPerSec,
    seed,
    impala,
    learnerBound: d.learnerBound,
    winner: winnerOf(seed, impala, d.totalStepsPerSec, defpPlan, K),
    intermediate,
    intermediateWins: intermediate && d.totalStepsPerSec > 1.01 * Math.max(seed, impala),
    bestUniform,
    uniformIntermediateWins: bestUniform > 0 && bestUniform < K && uniform[bestUniform] > 1.01 * Math.max(seed, impala, d.totalStepsPerSec),
  };
}

export interface SplitRow {
  readonly y: number;
  /** b_y (raw float32 for 0 < y < K), C_d(y), C_e(y). */
  readonly bytes: number;
  readonly deviceFlops: number;
  readonly learnerFlops: number;
}

/** Bytes per split point against compute: the table that decides whether an intermediate split can pay. */
export function splitTable(net: NetworkSpec): SplitRow[] {
  const K = net.layers.length;
  const rows: SplitRow[] = [];
  let cd = 0;
  const total = net.layers.reduce((s, l) => s + l.flops, 0);
  for (let y = 0; y <= K; y++) {
    if (y > 0) cd += net.layers[y - 1].flops;
    rows.push({ y, bytes: y === 0 ? net.inputBytes : net.layers[y - 1].outBytes, deviceFlops: cd, learnerFlops: total - cd });
  }
  return rows;
}

/**
 * Link rates (bytes/s, from `rates`) at which split y has a lower Eq. 6 latency than both y = 0 and
 * y = K for one actor: the only place DEFP would ever put an unconstrained actor at y.
 */
export function latencyWindow(net: NetworkSpec, deviceFlops: number, learnerFlops: number, y: number, rates: readonly number[]): number[] {
  const sys = systemOf(net, learnerFlops);
  const K = net.layers.length;
  return rates.filter((tr) => {
    const a = { flops: deviceFlops, linkBytesPerSec: tr };
    const t = responseTime(sys, a, y);
    return t < responseTime(sys, a, 0) && t < responseTime(sys, a, K);
  });
}
