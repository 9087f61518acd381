/**
 * Cost-model validation as pure functions: Eq. 6's T_i(y) for a request of n envs (the per-step
 * latency an actor sees, src/partition/cost.ts × n) against the measured time per request, with R²,
 * the worst relative error and the median offset (what a step costs beyond Eq. 6: env stepping,
 * RPC, serialisation).
 */
import { responseTime } from '../../src/partition/cost.js';
import type { NetworkSpec } from '../../src/partition/networks.js';
import { median, rSquared, worstRelativeError } from './stats.js';
import { systemOf } from './split-sweep.js';

export interface CostPoint {
  readonly network: string;
  readonly y: number;
  readonly predictedMs: number;
  /** Eq. 6 plus the training upload of raw observations (y > 0). */
  readonly predictedWithUploadMs: number;
  readonly measuredMs: number;
}

/**
 * Eq. 6 at batch n: n observations through the device, the link and the learner, in ms. With
 * `withUpload`, plus what Eq. 6 leaves out and the actor really sends on the same paced link: the raw
 * observations training needs, b_0 per env-step, whenever y > 0 (at y = 0 the learner has them).
 */
export function predictedRequestMs(
  net: NetworkSpec,
  y: number,
  n: number,
  deviceFlops: number,
  learnerFlops: number,
  linkBytesPerSec: number,
  withUpload = false,
): number {
  const upload = withUpload && y > 0 ? net.inputBytes / linkBytesPerSec : 0;
  return 1e3 * n * (responseTime(systemOf(net, learnerFlops), { flops: deviceFlops, linkBytesPerSec }, y) + upload);
}

/** Measured ms per request of n envs from a window's env steps. */
export function measuredRequestMs(envSteps: number, seconds: number, n: number): number {
  if (!(envSteps > 0)) throw new RangeError(`no env steps measured in ${seconds} s`);
  return (1e3 * seconds * n) / envSteps;
}

export interface Fit {
  readonly r2: number;
  readonly worstRelativeError: number;
  readonly worstAt: string;
  /** Median of measured − predicted (ms): per-step costs Eq. 6 leaves out. */
  readonly medianOffsetMs: number;
  /** R² and worst error once that constant is added to every prediction. */
  readonly r2WithOffset: number;
  readonly worstRelativeErrorWithOffset: number;
}

export function fitOf(points: readonly CostPoint[], which: 'predictedMs' | 'predictedWithUploadMs' = 'predictedMs'): Fit {
  const m = points.map((p) => p.measuredMs);
  const p = points.map((q) => q[which]);
  const worst = worstRelativeError(m, p);
  const offset = median(points.map((q) => q.measuredMs - q[which]));
  const shifted = p.map((x) => x + offset);
  const at = points[worst.index];
  return {
    r2: rSquared(m, p),
    worstRelativeError: worst.error,
    worstAt: `${at.network} y=${at.y}`,
    medianOffsetMs: offset,
    r2WithOffset: rSquared(m, shifted),
    worstRelativeErrorWithOffset: worstRelativeError(m, shifted).error,
  };
}
