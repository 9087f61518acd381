/**
 * DistrEdge's LC-PSS (Algorithm 1): partition the head into layer-volumes greedily by the score
 *   C_p = α·T + (1−α)·O                                                          (eq. 3)
 * averaged over a fixed set R_s^r of random split decisions (eq. 4), where O is the total FLOPs the
 * devices run (halo recomputation included) and T the total bytes moved between gateway and devices.
 * We divide O by the head's FLOPs and T by its input + output bytes so that α weighs two numbers of
 * order 1 (the paper leaves units open). Each loop tries one new partition location inside every
 * current volume and keeps those that lower the score; it stops when none does.
 */
import { deviceTask, type BlockMode, type SiteBlock } from '../../coop/plan.js';
import { rowCount, rowsFromCuts } from '../../coop/slicing.js';
import { Rng } from '../../util/rng.js';
import { blockExtent, feasibleModes } from './blocks.js';
import { deviceCost, type SiteModel } from './site-cost.js';

export interface LcpssOptions {
  readonly alpha?: number;
  /** |R_s^r|. */
  readonly randomSplits?: number;
  readonly seed?: number;
}

/** A layer-volume: layers from..to and the mode its height split uses (slice, or data for an FC end). */
export interface Volume {
  readonly from: number;
  readonly to: number;
  readonly mode: BlockMode;
}

/** Volumes of a partition scheme (sorted 1-based start locations, first = 1), or undefined if one is infeasible. */
export function volumesOf(m: SiteModel, starts: readonly number[]): Volume[] | undefined {
  const vols: Volume[] = [];
  for (let i = 0; i < starts.length; i++) {
    const from = starts[i];
    const to = i + 1 < starts.length ? starts[i + 1] - 1 : m.y;
    const modes = feasibleModes(m.defs, from, to).filter((x) => x === 'slice' || x === 'data');
    if (modes.length === 0) return undefined;
    vols.push({ from, to, mode: modes[0] });
  }
  return vols;
}

/** Cut points on a volume's height from a split decision given as D fractions (summing to 1). */
export function cutsFromFractions(h: number, fractions: readonly number[]): number[] {
  const cuts: number[] = [];
  let acc = 0;
  for (let i = 0; i < fractions.length - 1; i++) {
    acc += fractions[i];
    cuts.push(Math.round(h * acc));
  }
  return cuts;
}

export function volumeBlock(m: SiteModel, v: Volume, cuts: readonly number[]): SiteBlock {
  return { from: v.from, to: v.to, mode: v.mode, parts: rowsFromCuts(blockExtent(m.defs, v.from, v.to, v.mode), cuts) };
}

/** O and T of a scheme under one split decision, one site step. */
export function operationsAndTransfer(m: SiteModel, vols: readonly Volume[], fractions: readonly number[]): { O: number; T: number } {
  let O = 0;
  let T = 0;
  for (const v of vols) {
    const b = volumeBlock(m, v, cutsFromFractions(blockExtent(m.defs, v.from, v.to, v.mode), fractions));
    b.parts.forEach((p, d) => {
      if (rowCount(p) === 0) return;
      const t = deviceTask(m.defs, b, d);
      O +=
        t.spatial.reduce((s, l) => s + l.flops, 0) + (t.fc ? 2 * rowCount(t.fc.part) * (t.fc.mode === 'data' ? t.fc.layout.units : t.fc.layout.features) : 0);
      const c = deviceCost(m, b, d);
      T += c.inBytes + c.outBytes;
    });
  }
  return { O: O * m.inst.batch, T };
}

/** The fixed set R_s^r: random fractions per device, seeded. */
export function randomSplitDecisions(devices: number, count: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const w = Array.from({ length: devices }, () => rng.random());
    const s = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / s);
  });
}

/** C̄_p (eq. 4) of a scheme: the score averaged over R_s^r; Infinity if a volume is infeasible. */
export function averageScore(m: SiteModel, starts: readonly number[], rs: readonly number[][], alpha: number): number {
  const vols = volumesOf(m, starts);
  if (!vols) return Infinity;
  const O0 = m.defs.slice(0, m.y).reduce((s, d) => s + d.flops, 0) * m.inst.batch;
  const T0 = 4 * m.inst.batch * (m.defs[0].inShape.reduce((a, b) => a * b, 1) + m.defs[m.y - 1].outShape.reduce((a, b) => a * b, 1));
  let sum = 0;
  for (const f of rs) {
    const { O, T } = operationsAndTransfer(m, vols, f);
    sum += alpha * (T / T0) + (1 - alpha) * (O / O0);
  }
  return sum / rs.length;
}

/** Algorithm 1: the partition scheme R_p^* as the volumes' start locations. */
export function solveLcpss(m: SiteModel, o: LcpssOptions = {}): { starts: number[]; volumes: Volume[]; score: number } {
  const alpha = o.alpha ?? 0.75;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`lcpss: alpha must be in [0, 1], got ${alpha}`);
  const rs = randomSplitDecisions(m.inst.devices.length, o.randomSplits ?? 100, o.seed ?? 0);
  let starts = [1];
  let score = averageScore(m, starts, rs, alpha);
  for (;;) {
    const next = new Set(starts);
    const bounds = [...starts, m.y + 1];
    for (let v = 0; v < starts.length; v++) {
      let best: { j: number; s: number } | undefined;
      for (let j = bounds[v] + 1; j < bounds[v + 1]; j++) {
        const s = averageScore(
          m,
          [...starts, j].sort((a, b) => a - b),
          rs,
          alpha,
        );
        if (!best || s < best.s) best = { j, s };
      }
      if (best && best.s < score) next.add(best.j);
    }
    if (next.size === starts.length) break;
    starts = [...next].sort((a, b) => a - b);
    score = averageScore(m, starts, rs, alpha);
  }
  return { starts, volumes: volumesOf(m, starts) as Volume[], score };
}
