/**
 * Assembled unrolls waiting for the train loop, bounded by `limit`. When it fills, the policy
 * decides: 'wait' holds the actors back (`onHold(true)`: the learner stops reading uploads, and
 * `room()` makes inference replies wait) until a batch is taken; 'drop-oldest' drops the oldest
 * unrolls. Counts every unroll that never trains (`discarded`, of which `queueFull` were dropped for
 * room) so the learner's step accounting holds.
 */
import type { LearnerMetrics } from '../metrics/learner-metrics.js';
import type { Unroll } from './trajectory-assembler.js';

export class UnrollQueue {
  private readonly items: Unroll[] = [];
  private full: { promise: Promise<void>; release: () => void } | undefined;
  private wake: (() => void) | null = null;
  /** Unrolls that never trained: dropped for room, after the frame budget, or in a skipped update. */
  discarded = 0;
  /** The part of `discarded` dropped because the queue was full ('drop-oldest'). */
  queueFull = 0;
  /** How often a full queue held the actors back ('wait'). */
  holds = 0;

  constructor(
    private readonly limit: number,
    private readonly batchSize: number,
    private readonly policy: 'wait' | 'drop-oldest',
    private readonly unrollLength: number,
    private readonly metrics: LearnerMetrics,
    private readonly onHold: (held: boolean) => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Resolves when there is room again while actors are held back; undefined when there is room. */
  room(): Promise<void> | undefined {
    return this.full?.promise;
  }

  /** Adds an unroll; `holdOk` false (the frame budget is spent) never holds the actors back. */
  push(u: Unroll, holdOk: boolean): void {
    this.items.push(u);
    if (this.policy === 'wait') {
      if (this.items.length >= this.limit && holdOk) this.hold();
    } else if (this.items.length > this.limit) {
      const excess = this.items.length - this.limit;
      this.items.splice(0, excess);
      this.discarded += excess;
      this.queueFull += excess;
      this.metrics.discardedSteps.inc({ why: 'queue_full' }, excess * this.unrollLength);
    }
    this.metrics.unrollQueue.set(this.items.length);
    if (this.items.length >= this.batchSize && this.wake) {
      const w = this.wake;
      this.wake = null;
      w();
    }
  }

  /** Waits until a batch is queued (or wake() is called). */
  async ready(): Promise<void> {
    if (this.items.length >= this.batchSize) return;
    await new Promise<void>((r) => (this.wake = r));
  }

  wakeUp(): void {
    this.wake?.();
    this.wake = null;
  }

  /** The oldest batch; lets held actors go once there is room. */
  take(): Unroll[] {
    const batch = this.items.splice(0, this.batchSize);
    if (this.items.length < this.limit) this.release();
    this.metrics.unrollQueue.set(this.items.length);
    return batch;
  }

  /** Everything queued is dropped (the frame budget is spent); actors are let go. */
  discardAll(): void {
    this.release();
    this.discarded += this.items.length;
    this.metrics.discardedSteps.inc({ why: 'budget_reached' }, this.items.length * this.unrollLength);
    this.items.length = 0;
    this.metrics.unrollQueue.set(0);
  }

  private hold(): void {
    if (this.full) return;
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.full = { promise, release };
    this.holds++;
    this.onHold(true);
  }

  release(): void {
    if (!this.full) return;
    this.full.release();
    this.full = undefined;
    this.onHold(false);
  }
}
