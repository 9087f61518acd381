/**
 * Running min/max of a feature for the quantiser (Eq. 1's min(x), max(x) "computed on a pre-collected
 * set of feature maps"): an exponential moving average of per-batch extremes, learned on the learner
 * and shipped to actors with the parameters, so both ends quantise with the same range.
 */

export interface RangeStats {
  readonly min: number;
  readonly max: number;
  /** Batches seen; 0 = no statistics yet. */
  readonly count: number;
}

export const EMPTY_RANGE: RangeStats = { min: 0, max: 1, count: 0 };

/** Folds one batch's extremes into the statistics; the first batch sets them. */
export function updateRange(stats: RangeStats, x: Float32Array, momentum = 0.99): RangeStats {
  if (!(momentum >= 0 && momentum < 1)) throw new RangeError(`range momentum must be in [0, 1), got ${momentum}`);
  if (x.length === 0) return stats;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return foldExtremes(stats, lo, hi, momentum);
}

/** Folds one batch's extremes lo, hi (found elsewhere, e.g. on the backend) into the statistics. */
export function foldExtremes(stats: RangeStats, lo: number, hi: number, momentum = 0.99): RangeStats {
  if (!(momentum >= 0 && momentum < 1)) throw new RangeError(`range momentum must be in [0, 1), got ${momentum}`);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError('updateRange: feature holds a non-finite value');
  if (stats.count === 0) return { min: lo, max: hi, count: 1 };
  return { min: momentum * stats.min + (1 - momentum) * lo, max: momentum * stats.max + (1 - momentum) * hi, count: stats.count + 1 };
}

/** Checks statistics received from elsewhere (a parameter update, a checkpoint). */
export function checkRange(stats: RangeStats, where: string): RangeStats {
  if (!Number.isFinite(stats.min) || !Number.isFinite(stats.max) || !(stats.max >= stats.min)) {
    throw new RangeError(`${where}: quantiser range must be finite with max >= min, got [${stats.min}, ${stats.max}]`);
  }
  if (!Number.isInteger(stats.count) || stats.count < 0) throw new RangeError(`${where}: range count must be an integer >= 0, got ${stats.count}`);
  return stats;
}
