import { type Rng } from '../util/rng.js';

/** Exponential backoff with bounded multiplicative jitter, for reconnect loops. */
export interface BackoffOptions {
  /** Delay before the first retry (ms). */
  initialMs: number;
  /** Cap on any delay (ms). */
  maxMs: number;
  /** Growth factor per attempt (>= 1). */
  multiplier: number;
  /** Relative jitter in [0, 1): the delay is scaled by a uniform factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  /** Give up after this many consecutive failed attempts (Infinity = never). */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5000, multiplier: 2, jitter: 0.2, maxAttempts: Infinity };

export function checkBackoff(o: BackoffOptions): void {
  if (!(o.initialMs >= 0) || !Number.isFinite(o.initialMs)) throw new RangeError(`backoff.initialMs must be a finite number >= 0, got ${o.initialMs}`);
  if (!(o.maxMs >= o.initialMs)) throw new RangeError(`backoff.maxMs must be >= initialMs (${o.initialMs}), got ${o.maxMs}`);
  if (!(o.multiplier >= 1)) throw new RangeError(`backoff.multiplier must be >= 1, got ${o.multiplier}`);
  if (!(o.jitter >= 0 && o.jitter < 1)) throw new RangeError(`backoff.jitter must be in [0, 1), got ${o.jitter}`);
  if (!(o.maxAttempts >= 1)) throw new RangeError(`backoff.maxAttempts must be >= 1 (or Infinity), got ${o.maxAttempts}`);
}

/**
 * Delay before retry number `attempt` (0-based): min(maxMs, initialMs × multiplier^attempt),
 * scaled by a jitter factor drawn from `rng`, and never above maxMs.
 */
export function backoffDelay(attempt: number, o: BackoffOptions, rng?: Rng): number {
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.multiplier, attempt));
  const factor = rng && o.jitter > 0 ? 1 + o.jitter * (2 * rng.random() - 1) : 1;
  return Math.min(o.maxMs, base * factor);
}
