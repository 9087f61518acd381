import type { ActorSpec, PartitionSystem } from './instance.js';
import { strategies, type Strategy } from './strategies.js';

/**
 * The cost model of the paper (Eqs. 4–6, 10–11, 15). A split point y in 0..K means the actor runs
 * layers 1..y and the learner runs y+1..K; y = 0 is Seed-RL (all on the learner), y = K is IMPALA.
 * All functions are pure; `ActorCosts` caches one actor's per-strategy numbers for the solvers.
 * With codecs (strategies.ts) a strategy is (y, codec): b_y becomes the codec's size, the encoder's
 * FLOPs run on the device and the decoder's on the learner.
 */

/** Number of layers K of the system's network. */
export function numLayers(sys: PartitionSystem): number {
  return sys.layers.length;
}

function checkSplit(sys: PartitionSystem, y: number): void {
  const K = sys.layers.length;
  if (!Number.isInteger(y) || y < 0 || y > K) throw new RangeError(`split point must be an integer in 0..${K}, got ${y}`);
}

/** C_d(y) = Σ_{k=1}^{y} c_k: FLOPs the device runs (Eq. 4). */
export function deviceFlops(sys: PartitionSystem, y: number): number {
  checkSplit(sys, y);
  let s = 0;
  for (let k = 0; k < y; k++) s += sys.layers[k].flops;
  return s;
}

/** C_e(y) = Σ_{k=y+1}^{K} c_k: FLOPs the learner runs (Eq. 4). */
export function edgeFlops(sys: PartitionSystem, y: number): number {
  checkSplit(sys, y);
  let s = 0;
  for (let k = y; k < sys.layers.length; k++) s += sys.layers[k].flops;
  return s;
}

/** b_y: bytes crossing the link at split y (b_0 = the observation, b_k = output of layer k). */
export function splitBytes(sys: PartitionSystem, y: number): number {
  checkSplit(sys, y);
  return y === 0 ? sys.inputBytes : sys.layers[y - 1].outBytes;
}

/**
 * T_i(y), Eq. 6: t_d + t_e + (b_y + b_K)/tr_i for y < K (t_d = 0 at y = 0, Eq. 5), t_d alone at y = K.
 * The paper's single link speed tr is the special case of equal `linkBytesPerSec` for every actor.
 */
export function responseTime(sys: PartitionSystem, actor: Pick<ActorSpec, 'flops' | 'linkBytesPerSec'>, y: number): number {
  const K = sys.layers.length;
  const td = deviceFlops(sys, y) / actor.flops;
  if (y === K) return td;
  const te = edgeFlops(sys, y) / sys.edge.flops;
  const bK = sys.layers[K - 1].outBytes;
  return td + te + (splitBytes(sys, y) + bK) / actor.linkBytesPerSec;
}

/** u_i(y) = T_i(y) − T_i(K), Eq. 15: negative when splitting beats running locally. */
export function utility(sys: PartitionSystem, actor: Pick<ActorSpec, 'flops' | 'linkBytesPerSec'>, y: number): number {
  return responseTime(sys, actor, y) - responseTime(sys, actor, sys.layers.length);
}

/** Improvement g_i(y) = −u_i(y) = T_i(K) − T_i(y): the latency reduction the solvers maximise. */
export function improvement(sys: PartitionSystem, actor: Pick<ActorSpec, 'flops' | 'linkBytesPerSec'>, y: number): number {
  return -utility(sys, actor, y);
}

/** Learner compute an actor at split y holds (Eq. 10): C_e(y) for y < K, none when it runs locally. */
export function computeUse(sys: PartitionSystem, y: number): number {
  return y === sys.layers.length ? 0 : edgeFlops(sys, y);
}

/** Learner bandwidth an actor at split y holds (Eq. 11): δ·b_y for y < K, none when it runs locally. */
export function bandwidthUse(sys: PartitionSystem, y: number): number {
  return y === sys.layers.length ? 0 : sys.edge.delta * splitBytes(sys, y);
}

/** T_i(y, codec): Eq. 6 with the codec's bytes, encoder FLOPs on the device, decoder FLOPs on the learner. */
export function strategyTime(sys: PartitionSystem, actor: Pick<ActorSpec, 'flops' | 'linkBytesPerSec'>, st: Strategy): number {
  const K = sys.layers.length;
  const td = (deviceFlops(sys, st.y) + st.encoderFlops) / actor.flops;
  if (st.y === K) return td;
  const te = (edgeFlops(sys, st.y) + st.decoderFlops) / sys.edge.flops;
  return td + te + (st.bytes + sys.layers[K - 1].outBytes) / actor.linkBytesPerSec;
}

/**
 * Resource use per strategy: the same for every actor, so computed once per system. Index `local`
 * is y = K (no resources); without codecs strategy s is split point s and local = K.
 */
export interface ResourceTable {
  readonly local: number;
  readonly strategies: readonly Strategy[];
  readonly compute: Float64Array; // [S]
  readonly bandwidth: Float64Array; // [S]
}

export function resourceTable(sys: PartitionSystem): ResourceTable {
  const list = strategies(sys);
  const K = sys.layers.length;
  const compute = new Float64Array(list.length);
  const bandwidth = new Float64Array(list.length);
  list.forEach((st, s) => {
    compute[s] = st.y === K ? 0 : edgeFlops(sys, st.y) + st.decoderFlops;
    bandwidth[s] = st.y === K ? 0 : sys.edge.delta * st.bytes;
  });
  return { local: list.length - 1, strategies: list, compute, bandwidth };
}

/** One actor's costs per strategy, plus the strategies worth considering. */
export interface ActorCosts {
  readonly time: Float64Array; // T_i(s), [S]
  readonly gain: Float64Array; // g_i(s) = T_i(local) − T_i(s), [S]
  /**
   * Candidate strategies, best gain first, always ending with local (gain 0, no resources). A strategy with
   * gain <= 0 is never better than local, and one that has no more gain than another while using at least
   * as much compute and bandwidth is dominated: dropping both kinds changes no optimum.
   */
  readonly options: Int32Array;
}

export function actorCosts(sys: PartitionSystem, res: ResourceTable, actor: Pick<ActorSpec, 'flops' | 'linkBytesPerSec'>): ActorCosts {
  const L = res.local;
  const time = new Float64Array(L + 1);
  for (let s = 0; s <= L; s++) time[s] = strategyTime(sys, actor, res.strategies[s]);
  const gain = new Float64Array(L + 1);
  for (let s = 0; s <= L; s++) gain[s] = time[L] - time[s];
  const cand: number[] = [];
  for (let s = 0; s < L; s++) if (gain[s] > 0) cand.push(s);
  // Best gain first; on equal gain the cheaper strategy (less compute, then bandwidth) first.
  cand.sort((a, b) => gain[b] - gain[a] || res.compute[a] - res.compute[b] || res.bandwidth[a] - res.bandwidth[b] || a - b);
  const kept: number[] = [];
  for (const y of cand) {
    // Every kept strategy has at least y's gain; y survives only if it is cheaper in some resource than all of them.
    const dominated = kept.some((z) => res.compute[z] <= res.compute[y] && res.bandwidth[z] <= res.bandwidth[y]);
    if (!dominated) kept.push(y);
  }
  kept.push(L);
  return { time, gain, options: Int32Array.from(kept) };
}

/**
 * Relative tolerance for budget checks, shared by every solver and by the feasibility check, so that
 * float round-off in a sum of FLOPs never turns a tight assignment infeasible.
 */
export const BUDGET_RTOL = 1e-7;

/** Whether `used` fits within `budget` up to the shared tolerance. */
export function fitsBudget(used: number, budget: number): boolean {
  return used <= budget + BUDGET_RTOL * Math.max(1, budget);
}

/**
 * Best response (Eq. 25): the candidate strategy with the largest gain that fits the free compute and
 * bandwidth. O(number of candidates); returns the local strategy when nothing else fits.
 */
export function bestResponse(
  costs: ActorCosts,
  res: ResourceTable,
  freeCompute: number,
  freeBandwidth: number,
  computeBudget: number,
  bandwidthBudget: number,
): number {
  const opts = costs.options;
  // Slack so that fitting into "free" agrees with the global fitsBudget check.
  const cSlack = BUDGET_RTOL * Math.max(1, computeBudget);
  const bSlack = BUDGET_RTOL * Math.max(1, bandwidthBudget);
  for (let k = 0; k < opts.length; k++) {
    const y = opts[k];
    if (res.compute[y] <= freeCompute + cSlack && res.bandwidth[y] <= freeBandwidth + bSlack) return y;
  }
  return res.local;
}
