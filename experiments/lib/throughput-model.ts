/**
 * A steady-state throughput model of the actor–learner system, built on the partition cost model
 * (src/partition/cost.ts) and what the transports really send (README "Architecture"):
 *
 *  - an actor steps n envs per request, synchronously: one request = n·C_d(y)/f_d on the device, and
 *    for y < K n·C_e(y)/f_e on the learner plus n·(b_y + b_K)/tr on the link (Eq. 6 at batch n);
 *  - training needs raw observations at the learner whatever the split: for y > 0 the actor also
 *    uploads them, u bytes per step over the same link (y = 0: the learner already has them; u = b_0
 *    raw, or what the actor's deflated upload blocks measure per step). The paced link serialises
 *    both, so a step costs  t(y) = C_d(y)/f_d + [y<K]·C_e(y)/f_e + bytes(y)/tr  with
 *    bytes(y) = [y<K]·(b_y + b_K) + [y>0]·u;
 *  - the learner spends C_e(y) per inference step and `trainFlopsPerStep` per trained step; when the
 *    actors' demand exceeds f_e, every actor is held back in proportion (the 'wait' queue policy).
 *
 * Pure functions; training frames/s = Σ steps/s × action repeat.
 */
import { deviceFlops, edgeFlops, splitBytes } from '../../src/partition/cost.js';
import type { PartitionSystem } from '../../src/partition/instance.js';
import { IDENTITY_CODEC, type SplitCodec } from './codecs.js';

export interface DeviceLink {
  readonly flops: number;
  readonly linkBytesPerSec: number;
}

export interface StepCost {
  /** Seconds per step on the device, learner (inference) and link. */
  readonly device: number;
  readonly learner: number;
  readonly link: number;
  /** Bytes per step on the link (both directions, uploads included). */
  readonly bytes: number;
}

/** What one step costs an actor at split y (see the module comment); `uploadBytes` is u (default b_0, raw). */
export function stepCost(sys: PartitionSystem, a: DeviceLink, y: number, codec: SplitCodec = IDENTITY_CODEC, uploadBytes = sys.inputBytes): StepCost {
  const K = sys.layers.length;
  const raw = splitBytes(sys, y);
  const by = y > 0 && y < K ? codec.bytes(y, raw) : raw;
  const enc = y > 0 && y < K ? codec.encodeFlops(y, raw) : 0;
  const bK = sys.layers[K - 1].outBytes;
  const bytes = (y < K ? by + bK : 0) + (y > 0 ? uploadBytes : 0);
  return {
    device: (deviceFlops(sys, y) + enc) / a.flops,
    learner: y < K ? (edgeFlops(sys, y) + enc) / sys.edge.flops : 0,
    link: bytes / a.linkBytesPerSec,
    bytes,
  };
}

export interface Throughput {
  /** Steps/s of each actor (after the learner's hold-back). */
  readonly stepsPerSec: number[];
  readonly totalStepsPerSec: number;
  /** Learner busy fraction (inference + training), at most 1. */
  readonly learnerBusy: number;
  /** Whether the learner limits the rate (demand ≥ its FLOP/s). */
  readonly learnerBound: boolean;
}

/** Steady-state rates of a plan: split point y_i per actor. */
export function planThroughput(
  sys: PartitionSystem,
  actors: readonly DeviceLink[],
  plan: readonly number[],
  trainFlopsPerStep: number,
  codec: SplitCodec = IDENTITY_CODEC,
  uploadBytes = sys.inputBytes,
): Throughput {
  if (plan.length !== actors.length) throw new RangeError(`plan has ${plan.length} split points for ${actors.length} actors`);
  const free = actors.map((a, i) => {
    const c = stepCost(sys, a, plan[i], codec, uploadBytes);
    return 1 / (c.device + c.learner + c.link);
  });
  // Learner FLOPs demanded per second at the free rates: inference tails plus training.
  const demand = actors.reduce((s, _a, i) => s + free[i] * (edgeFlops(sys, plan[i]) * (plan[i] < sys.layers.length ? 1 : 0) + trainFlopsPerStep), 0);
  const load = demand / sys.edge.flops;
  const scale = load > 1 ? 1 / load : 1;
  const stepsPerSec = free.map((r) => r * scale);
  return { stepsPerSec, totalStepsPerSec: stepsPerSec.reduce((a, b) => a + b, 0), learnerBusy: Math.min(1, load), learnerBound: load > 1 };
}

/** The learner compute of a training step: forward + backward ≈ 3 forward passes of the whole network. */
export function trainFlopsPerStep(sys: PartitionSystem): number {
  return 3 * edgeFlops(sys, 0);
}
