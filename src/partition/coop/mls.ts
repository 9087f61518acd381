/**
 * CoopAI's MLS (multi-layer partition and slicing), its SLS baseline, and single-device offload.
 *
 * MLS, eqs. (1)–(2): T_i^k is the least time to run layers 1..i with k devices;
 *   T_0^k = 0;  T_i^1 = T_{i-1}^1 + e_{i,i}^1;  T_i^k = min_{0≤r<i} T_r^k + e_{r+1,i}^k  (k > 1);
 *   T_L^* = min_k T_L^k.
 * e_{i,j}^k (eq. 3) is the best feasible mode's time for block b_{i,j}^k, its grids split equally over
 * the k devices (CoopAI assumes identical devices; on a mixed site we give the k fastest classes the
 * equal shares, which is what MLS would do there). Times come from the measured site cost model.
 */
import type { SiteBlock, SitePlan } from '../../coop/plan.js';
import { blockByShares, feasibleModes } from './blocks.js';
import { blockCost, type SiteModel } from './site-cost.js';

export interface SiteSolution {
  readonly algorithm: string;
  readonly plan: SitePlan;
  /** Predicted seconds per site step. */
  readonly seconds: number;
  /** Devices given work. */
  readonly devicesUsed: number;
}

/** Device indices by measured speed, fastest first (sum of the class's full-height layer times). */
export function devicesBySpeed(m: SiteModel): number[] {
  const total = (d: number): number => {
    const p = m.inst.profiles[m.inst.devices[d].class];
    return p.slice(0, m.y).reduce((s, l) => s + (l.rows?.[l.rows.length - 1] ?? l.dataRows?.[l.dataRows.length - 1] ?? 0), 0);
  };
  return m.inst.devices.map((_, d) => d).sort((a, b) => total(a) - total(b) || a - b);
}

/** Shares giving the k fastest devices one equal share each. */
export function fastestShares(m: SiteModel, k: number): number[] {
  const chosen = new Set(devicesBySpeed(m).slice(0, k));
  return m.inst.devices.map((_, d) => (chosen.has(d) ? 1 : 0));
}

/** e_{i,j}^k: the best feasible mode for block i..j with equal shares, or undefined if none is feasible. */
export function bestBlock(m: SiteModel, i: number, j: number, shares: readonly number[]): { block: SiteBlock; seconds: number } | undefined {
  let best: { block: SiteBlock; seconds: number } | undefined;
  for (const mode of feasibleModes(m.defs, i, j)) {
    const block = blockByShares(m.defs, i, j, mode, shares);
    const seconds = blockCost(m, block).seconds;
    if (!best || seconds < best.seconds) best = { block, seconds };
  }
  return best;
}

/** T_y^k by eq. (2), with the argmins to rebuild the blocks. */
export function mlsForK(m: SiteModel, k: number): { plan: SitePlan; seconds: number } {
  const shares = fastestShares(m, k);
  const L = m.y;
  const T: number[] = [0];
  const choice: { r: number; block?: SiteBlock }[] = [{ r: 0 }];
  for (let i = 1; i <= L; i++) {
    T[i] = Infinity;
    choice[i] = { r: -1 };
    const rs = k === 1 ? [i - 1] : Array.from({ length: i }, (_, r) => r);
    for (const r of rs) {
      const e = bestBlock(m, r + 1, i, shares);
      if (e && T[r] + e.seconds < T[i]) {
        T[i] = T[r] + e.seconds;
        choice[i] = { r, block: e.block };
      }
    }
  }
  const blocks: SiteBlock[] = [];
  for (let i = L; i > 0; i = choice[i].r) blocks.unshift(choice[i].block as SiteBlock);
  return { plan: { blocks }, seconds: T[L] };
}

export function solveMls(m: SiteModel): SiteSolution {
  let best: SiteSolution | undefined;
  for (let k = 1; k <= m.inst.devices.length; k++) {
    const r = mlsForK(m, k);
    if (!best || r.seconds < best.seconds) best = { algorithm: 'mls', ...r, devicesUsed: k };
  }
  return best as SiteSolution;
}

/** SLS (layer-by-layer slicing, DeepThings/MoDNN style): every layer its own block, equal split, best k. */
export function solveSls(m: SiteModel, k?: number): SiteSolution {
  let best: SiteSolution | undefined;
  const ks = k ? [k] : Array.from({ length: m.inst.devices.length }, (_, i) => i + 1);
  for (const kk of ks) {
    const shares = fastestShares(m, kk);
    const blocks = Array.from({ length: m.y }, (_, l) => bestBlock(m, l + 1, l + 1, shares) as { block: SiteBlock; seconds: number });
    const seconds = blocks.reduce((s, b) => s + b.seconds, 0);
    if (!best || seconds < best.seconds) best = { algorithm: 'sls', plan: { blocks: blocks.map((b) => b.block) }, seconds, devicesUsed: kk };
  }
  return best as SiteSolution;
}

/**
 * The whole head on the one device that runs it fastest, in one block (input out, output back) — or,
 * where no single block covers it (conv layers then two FCs), in the fewest-cost chain of feasible blocks.
 */
export function solveSingle(m: SiteModel): SiteSolution {
  let best: SiteSolution | undefined;
  m.inst.devices.forEach((_, d) => {
    const shares = m.inst.devices.map((__, i) => (i === d ? 1 : 0));
    const whole = bestBlock(m, 1, m.y, shares);
    const e = whole ? { blocks: [whole.block], seconds: whole.seconds } : chain(m, shares);
    if (e && (!best || e.seconds < best.seconds)) best = { algorithm: 'single', plan: { blocks: e.blocks }, seconds: e.seconds, devicesUsed: 1 };
  });
  return best as SiteSolution;
}

/** min over partitions of 1..y into feasible blocks with these shares (eq. 2 with free cut points). */
function chain(m: SiteModel, shares: readonly number[]): { blocks: SiteBlock[]; seconds: number } | undefined {
  const T: ({ blocks: SiteBlock[]; seconds: number } | undefined)[] = [{ blocks: [], seconds: 0 }];
  for (let i = 1; i <= m.y; i++) {
    for (let r = 0; r < i; r++) {
      const e = T[r] && bestBlock(m, r + 1, i, shares);
      if (e && T[r] && (!T[i] || T[r]!.seconds + e.seconds < T[i]!.seconds)) T[i] = { blocks: [...T[r]!.blocks, e.block], seconds: T[r]!.seconds + e.seconds };
    }
  }
  return T[m.y];
}

/**
 * The plan a live site runs for "mls": MLS, or the one-block plan on the best device where the same
 * cost model rates it faster. MLS's one-device recurrence (eq. 2, T_i^1 = T_(i-1)^1 + e_(i,i)^1) runs
 * layer by layer, so a site left with one device would pay a round per layer.
 */
export function solveMlsLive(m: SiteModel): SiteSolution {
  const [mls, single] = [solveMls(m), solveSingle(m)];
  return single.seconds < mls.seconds ? single : mls;
}
