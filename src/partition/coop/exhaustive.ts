/**
 * The optimum by exhaustive search, for small sites: every partition into blocks, every feasible
 * mode, every integer split of every block among the devices in order (zeros allowed). Blocks cost
 * independently (sum of per-block maxima), so each partition's best is the sum of its blocks' bests.
 */
import type { SiteBlock } from '../../coop/plan.js';
import { rowsFromCuts } from '../../coop/slicing.js';
import { blockExtent, feasibleModes } from './blocks.js';
import type { SiteSolution } from './mls.js';
import { blockCost, type SiteModel } from './site-cost.js';

export const EXHAUSTIVE_LIMIT = 2_000_000;

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Every non-decreasing cut vector of length D-1 over 0..h. */
function* cutVectors(h: number, n: number, from = 0): Generator<number[]> {
  if (n === 0) {
    yield [];
    return;
  }
  for (let x = from; x <= h; x++) for (const rest of cutVectors(h, n - 1, x)) yield [x, ...rest];
}

/** Best split of block i..j over all devices (undefined if infeasible). */
export function bestSplit(m: SiteModel, i: number, j: number): { block: SiteBlock; seconds: number } | undefined {
  const D = m.inst.devices.length;
  let best: { block: SiteBlock; seconds: number } | undefined;
  for (const mode of feasibleModes(m.defs, i, j)) {
    const h = blockExtent(m.defs, i, j, mode);
    if (binom(h + D - 1, D - 1) > EXHAUSTIVE_LIMIT)
      throw new Error(`exhaustive: block ${i}..${j} has more than ${EXHAUSTIVE_LIMIT} splits; use mls or lcpss-osds`);
    for (const cuts of cutVectors(h, D - 1)) {
      const block: SiteBlock = { from: i, to: j, mode, parts: rowsFromCuts(h, cuts) };
      const seconds = blockCost(m, block).seconds;
      if (!best || seconds < best.seconds) best = { block, seconds };
    }
  }
  return best;
}

export function solveExhaustive(m: SiteModel): SiteSolution {
  const L = m.y;
  const memo = new Map<string, { block: SiteBlock; seconds: number } | undefined>();
  const block = (i: number, j: number) => {
    const key = `${i}-${j}`;
    if (!memo.has(key)) memo.set(key, bestSplit(m, i, j));
    return memo.get(key);
  };
  let best: { blocks: SiteBlock[]; seconds: number } | undefined;
  // partitions of 1..L: bit b set = a block boundary after layer b+1
  for (let mask = 0; mask < 1 << (L - 1); mask++) {
    const blocks: SiteBlock[] = [];
    let seconds = 0;
    let start = 1;
    let ok = true;
    for (let l = 1; l <= L && ok; l++) {
      if (l === L || mask & (1 << (l - 1))) {
        const b = block(start, l);
        if (!b) ok = false;
        else {
          blocks.push(b.block);
          seconds += b.seconds;
        }
        start = l + 1;
      }
    }
    if (ok && (!best || seconds < best.seconds)) best = { blocks, seconds };
  }
  if (!best) throw new Error('exhaustive: no feasible plan');
  const used = new Set(best.blocks.flatMap((b) => b.parts.map((p, d) => (p[1] > p[0] ? d : -1)).filter((d) => d >= 0)));
  return { algorithm: 'exhaustive', plan: { blocks: best.blocks }, seconds: best.seconds, devicesUsed: used.size };
}
