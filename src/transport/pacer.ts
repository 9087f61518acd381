/**
 * Application-level link pacing and byte accounting.
 *
 * A Pacer models a link of fixed capacity: a message of b bytes finishes at
 * max(now, freeAt) + b / cap (with a small allowance for senders running late, see burstMs), and
 * `acquire` resolves at that time. This works without root or
 * traffic control and caps everything that passes through it, in CI too.
 * Rates are parsed by util/bandwidth.ts.
 */

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export { formatBandwidth, parseBandwidth } from '../util/bandwidth.js';
import { parseBandwidth } from '../util/bandwidth.js';

export interface PacerOptions {
  clock?: Clock;
  /**
   * How far (ms) a sender that is behind schedule may start in the past, so that timer
   * overshoot and the time spent between two acquire() calls do not pull the long-run rate below
   * the cap. It allows a burst of at most burstMs × cap bytes after idle time. Default 10 ms.
   */
  burstMs?: number;
}

/**
 * Serialises byte transfers through one link of `bytesPerSec` capacity: a transfer of b bytes
 * finishes at max(now - burstMs, freeAt) + b / cap (burstMs = 0 gives the plain formula).
 */
export class Pacer {
  private freeAt = -Infinity;
  private totalBytes = 0;
  private totalWaitMs = 0;
  /** The last booked transfer still waiting, and how many are: acquire() resolves in booking order. */
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly clock: Clock;
  readonly burstMs: number;

  constructor(
    readonly bytesPerSec: number,
    options: PacerOptions = {},
  ) {
    if (!(bytesPerSec > 0)) throw new RangeError(`Pacer bytesPerSec must be > 0 (or Infinity for no cap), got ${bytesPerSec}`);
    this.clock = options.clock ?? systemClock;
    this.burstMs = options.burstMs ?? 10;
    if (!(this.burstMs >= 0) || !Number.isFinite(this.burstMs)) throw new RangeError(`Pacer burstMs must be a finite number >= 0, got ${this.burstMs}`);
  }

  static fromString(bandwidth: string, options?: PacerOptions): Pacer {
    return new Pacer(parseBandwidth(bandwidth), options);
  }

  get unlimited(): boolean {
    return !Number.isFinite(this.bytesPerSec);
  }

  /**
   * Book `bytes` on the link and return the time (clock ms) at which they have gone through.
   * Pure bookkeeping: callers that cannot await can use this and schedule themselves.
   */
  reserve(bytes: number, now: number = this.clock.now()): number {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`Pacer.reserve bytes must be a finite number >= 0, got ${bytes}`);
    this.totalBytes += bytes;
    if (this.unlimited) return now;
    const start = Math.max(now - this.burstMs, this.freeAt);
    this.freeAt = start + (bytes / this.bytesPerSec) * 1000;
    return this.freeAt;
  }

  /**
   * Wait until `bytes` have passed through the link. Transfers finish in the order they were booked,
   * as on a real link: timers of different lengths need not fire in that order (Node measures them
   * from the event loop's cached time, so a sender that stalled between two bookings could overtake).
   */
  async acquire(bytes: number): Promise<void> {
    const now = this.clock.now();
    const doneAt = this.reserve(bytes, now);
    const wait = doneAt - now;
    if (wait > 0) this.totalWaitMs += wait;
    if (this.queued === 0 && !(wait > 0)) return;
    this.queued++;
    const done = this.tail.then(async () => {
      const left = doneAt - this.clock.now();
      if (left > 0) await this.clock.sleep(left);
    });
    this.tail = done;
    try {
      await done;
    } finally {
      this.queued--;
    }
  }

  stats(): { bytes: number; waitMs: number; bytesPerSec: number } {
    return { bytes: this.totalBytes, waitMs: this.totalWaitMs, bytesPerSec: this.bytesPerSec };
  }
}

/** One actor's link: independent uplink and downlink capacity (both may be unlimited). */
export interface Link {
  up: Pacer;
  down: Pacer;
  stats: LinkStats;
}

/** Build a symmetric link from a bandwidth string such as '10MB/s' (uplink and downlink each capped). */
export function makeLink(bandwidth: string | number = 'unlimited', options?: PacerOptions): Link {
  const bps = typeof bandwidth === 'number' ? bandwidth : parseBandwidth(bandwidth);
  return { up: new Pacer(bps, options), down: new Pacer(bps, options), stats: new LinkStats() };
}

export type Channel = 'inference' | 'params' | 'upload';
export const CHANNELS: readonly Channel[] = ['inference', 'params', 'upload'];

export interface ChannelCounters {
  sentBytes: number;
  receivedBytes: number;
  sentMessages: number;
  receivedMessages: number;
}

/** Bytes and messages sent/received per channel. */
export class LinkStats {
  private readonly counters = new Map<Channel, ChannelCounters>(
    CHANNELS.map((c) => [c, { sentBytes: 0, receivedBytes: 0, sentMessages: 0, receivedMessages: 0 }]),
  );

  sent(channel: Channel, bytes: number): void {
    const c = this.get(channel);
    c.sentBytes += bytes;
    c.sentMessages += 1;
  }

  received(channel: Channel, bytes: number): void {
    const c = this.get(channel);
    c.receivedBytes += bytes;
    c.receivedMessages += 1;
  }

  private get(channel: Channel): ChannelCounters {
    const c = this.counters.get(channel);
    if (!c) throw new RangeError(`unknown channel "${String(channel)}"; channels are ${CHANNELS.join(', ')}`);
    return c;
  }

  /** A copy of all counters plus totals. */
  snapshot(): Record<Channel, ChannelCounters> & { total: ChannelCounters } {
    const out = {} as Record<Channel, ChannelCounters> & { total: ChannelCounters };
    const total: ChannelCounters = { sentBytes: 0, receivedBytes: 0, sentMessages: 0, receivedMessages: 0 };
    for (const [ch, c] of this.counters) {
      out[ch] = { ...c };
      total.sentBytes += c.sentBytes;
      total.receivedBytes += c.receivedBytes;
      total.sentMessages += c.sentMessages;
      total.receivedMessages += c.receivedMessages;
    }
    out.total = total;
    return out;
  }
}
