/** Small statistics the studies share: pure functions, tested against hand-computed numbers. */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('mean of an empty list');
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Coefficient of determination of predictions against measurements (1 − SS_res / SS_tot). */
export function rSquared(measured: readonly number[], predicted: readonly number[]): number {
  if (measured.length !== predicted.length || measured.length < 2) throw new RangeError('rSquared needs two equal lists of at least 2 values');
  const m = mean(measured);
  let res = 0;
  let tot = 0;
  for (let i = 0; i < measured.length; i++) {
    res += (measured[i] - predicted[i]) ** 2;
    tot += (measured[i] - m) ** 2;
  }
  return tot === 0 ? Number.NaN : 1 - res / tot;
}

/** max |predicted − measured| / measured, and where it occurs. */
export function worstRelativeError(measured: readonly number[], predicted: readonly number[]): { error: number; index: number } {
  let worst = { error: 0, index: -1 };
  for (let i = 0; i < measured.length; i++) {
    const e = Math.abs(predicted[i] - measured[i]) / Math.abs(measured[i]);
    if (e > worst.error || worst.index < 0) worst = { error: e, index: i };
  }
  return worst;
}

/**
 * Gaussian kernel density of `xs` at `grid` points, bandwidth by Silverman's rule (0.9·min(σ, IQR/1.34)·n^−1/5),
 * floored at `minBandwidth` so that a constant sample still has a visible bump.
 */
export function kernelDensity(xs: readonly number[], grid: readonly number[], minBandwidth = 0.01): number[] {
  if (xs.length === 0) throw new RangeError('kernelDensity of an empty sample');
  const m = mean(xs);
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const spread = Math.min(sd, (q(0.75) - q(0.25)) / 1.34) || sd;
  const h = Math.max(minBandwidth, 0.9 * spread * Math.pow(xs.length, -0.2));
  const norm = 1 / (xs.length * h * Math.sqrt(2 * Math.PI));
  return grid.map((g) => norm * xs.reduce((a, x) => a + Math.exp(-0.5 * ((g - x) / h) ** 2), 0));
}

/** n evenly spaced points from a to b inclusive. */
export function linspace(a: number, b: number, n: number): number[] {
  if (n < 2) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}
