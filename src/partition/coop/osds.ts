/**
 * DistrEdge's OSDS (Algorithm 2): a DDPG agent picks each layer-volume's split decision in turn.
 *   state  s_l = (T_{l−1}, H^l, C^l, F^l, S^l)      (eq. 7: devices' accumulated latencies, last layer's config)
 *   action a_l = (x_1, …, x_{|D|−1}), sorted, x_i = round(H^l · (x̃_i − A)/(B − A))      (eqs. 6, 9)
 *   reward r_l = 0 for l < L, T_ref/T at the end                                   (eq. 8, scaled by T_ref)
 * Latencies come from the measured site cost model (blocks start when the previous one is gathered).
 * Exploration: with probability ε = 1 − (episode·Δε)² Gaussian noise σ is added. The best split
 * decisions seen (R_s^*) are returned, as in the paper.
 */
import { ensureGradients } from '../../backend/index.js';
import type { SiteBlock } from '../../coop/plan.js';
import { Rng } from '../../util/rng.js';
import { blockExtent } from './blocks.js';
import { volumeBlock, type Volume } from './lcpss.js';
import type { SiteSolution } from './mls.js';
import { Ddpg } from './ddpg.js';
import { blockCost, type SiteModel } from './site-cost.js';

export interface OsdsOptions {
  readonly episodes?: number;
  /** Exploration noise standard deviation (the paper's σ² = 0.1 → σ ≈ 0.32). */
  readonly sigma?: number;
  readonly deltaEpsilon?: number;
  readonly seed?: number;
  readonly hidden?: readonly number[];
}

/** Cut points from an action in [−1, 1]^{D−1} (eq. 9 after sorting). */
export function actionToCuts(h: number, action: readonly number[]): number[] {
  return [...action].sort((a, b) => a - b).map((x) => Math.round((h * (Math.max(-1, Math.min(1, x)) + 1)) / 2));
}

/** (H, C, F, S) of a volume's last layer, scaled to order 1. */
function layerConfig(m: SiteModel, v: Volume): number[] {
  const def = m.defs[v.to - 1];
  const h = blockExtent(m.defs, v.from, v.to, v.mode);
  const c = def.outShape.length === 3 ? def.outShape[2] : def.outShape[0];
  const win = def.ops.filter((o) => o.type === 'conv' || o.type === 'pool');
  const last = win[win.length - 1];
  const f = last && (last.type === 'conv' || last.type === 'pool') ? last.kernel : 1;
  const s = last && (last.type === 'conv' || last.type === 'pool') ? last.stride : 1;
  return [h / 100, c / 100, f / 10, s / 10];
}

/** Runs one episode's split decisions through the cost model: per-device finish times after each volume. */
export function rollout(m: SiteModel, vols: readonly Volume[], cuts: readonly number[][]): { T: number; blocks: SiteBlock[]; finish: number[][] } {
  const D = m.inst.devices.length;
  let acc = Array.from({ length: D }, () => 0);
  const finish: number[][] = [];
  const blocks = vols.map((v, l) => {
    const b = volumeBlock(m, v, cuts[l]);
    const start = Math.max(...acc);
    const c = blockCost(m, b);
    acc = c.devices.map((d) => start + d.seconds);
    finish.push(acc);
    return b;
  });
  return { T: Math.max(...acc), blocks, finish };
}

export async function solveOsds(m: SiteModel, vols: readonly Volume[], o: OsdsOptions = {}): Promise<SiteSolution & { episodes: number[] }> {
  await ensureGradients();
  const D = m.inst.devices.length;
  const episodes = o.episodes ?? 300;
  const sigma = o.sigma ?? Math.sqrt(0.1);
  const dEps = o.deltaEpsilon ?? 1 / (0.8 * episodes);
  const rng = new Rng(o.seed ?? 0);
  // T_ref: equal split on every device, so rewards and states are of order 1
  const equal = vols.map((v) =>
    actionToCuts(
      blockExtent(m.defs, v.from, v.to, v.mode),
      Array.from({ length: D - 1 }, (_, i) => -1 + (2 * (i + 1)) / D),
    ),
  );
  const Tref = rollout(m, vols, equal).T;
  let best = { T: Infinity, cuts: equal };
  const history: number[] = [];
  if (D === 1) {
    const r = rollout(
      m,
      vols,
      vols.map(() => []),
    );
    return { algorithm: 'lcpss-osds', plan: { blocks: r.blocks }, seconds: r.T, devicesUsed: 1, episodes: [] };
  }
  const agent = new Ddpg({ stateDim: D + 4, actionDim: D - 1, hidden: o.hidden ?? [64, 64], seed: rng.int(2 ** 31) });
  try {
    const state = (l: number, acc: readonly number[]): number[] => [...acc.map((t) => t / Tref), ...layerConfig(m, vols[l])];
    for (let ep = 1; ep <= episodes; ep++) {
      const eps = 1 - (ep * dEps) ** 2;
      const cuts: number[][] = [];
      const raw: number[][] = [];
      for (let l = 0; l < vols.length; l++) {
        const prev = l === 0 ? Array.from({ length: D }, () => 0) : rollout(m, vols.slice(0, l), cuts).finish[l - 1];
        let a = agent.act(state(l, prev));
        if (rng.random() < eps) a = a.map((x) => Math.max(-1, Math.min(1, x + sigma * rng.normal())));
        raw.push(a);
        cuts.push(actionToCuts(blockExtent(m.defs, vols[l].from, vols[l].to, vols[l].mode), a));
      }
      const r = rollout(m, vols, cuts);
      history.push(r.T);
      if (r.T < best.T) best = { T: r.T, cuts };
      for (let l = 0; l < vols.length; l++) {
        const s = state(l, l === 0 ? Array.from({ length: D }, () => 0) : r.finish[l - 1]);
        const last = l + 1 === vols.length;
        const s2 = last ? s : state(l + 1, r.finish[l]);
        agent.remember({ s, a: raw[l], r: last ? Tref / r.T : 0, s2, done: last });
        agent.train();
      }
    }
  } finally {
    agent.dispose();
  }
  const r = rollout(m, vols, best.cuts);
  const used = new Set(r.blocks.flatMap((b) => b.parts.map((p, d) => (p[1] > p[0] ? d : -1)).filter((d) => d >= 0)));
  return { algorithm: 'lcpss-osds', plan: { blocks: r.blocks }, seconds: r.T, devicesUsed: used.size, episodes: history };
}
