// Kernels a backend may register to run the feature codec's training ops (src/codec/training-ops.ts)
// in one pass each; without them those ops are built from generic tfjs ops. The native backend
// registers all four.

/** Input x; attrs scale, offset, levels: clamp(round((x − offset)/scale), 0, levels)·scale + offset. */
export const FAKE_QUANT = 'CoknightFakeQuant';
/** Input x (non-empty): a [2] float32 tensor {min x, max x}. */
export const EXTREMES = 'CoknightExtremes';
/** Inputs a, b of one size: a [2] float32 tensor {Σ(a − b)², Σ b²}. */
export const SQUARED_ERROR_SUMS = 'CoknightSquaredErrorSums';
/** Inputs a, b of one size and k (one value): k·(a − b), shaped as a. */
export const SCALED_DIFFERENCE = 'CoknightScaledDifference';

export const CODEC_KERNELS = [FAKE_QUANT, EXTREMES, SQUARED_ERROR_SUMS, SCALED_DIFFERENCE] as const;
