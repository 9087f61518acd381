/**
 * How much of what the actors produced never trained the model, and what to do about it. Steps are
 * lost when the unroll queue is full (the learner trains slower than the actors act: oldest unrolls
 * are dropped), when an actor leaves or reconnects mid-unroll, and after the frame budget is reached.
 */
export interface Accounting {
  readonly served: number;
  readonly dropped: number;
  readonly discarded: number;
}

/** Above this fraction of lost steps a run warns (once), naming the knobs. */
export const LOSS_WARN_FRACTION = 0.1;

export function lostFraction(acc: Accounting): number {
  return acc.served > 0 ? (acc.dropped + acc.discarded) / acc.served : 0;
}

export function lossWarning(acc: Accounting, queueLimit: number): string | null {
  const f = lostFraction(acc);
  if (f <= LOSS_WARN_FRACTION) return null;
  return (
    `warning: ${(100 * f).toFixed(0)}% of actor steps were discarded (${acc.discarded} with the unroll queue full, ${acc.dropped} with actors that left): ` +
    `the learner trains slower than the actors act. Fewer actors (--actors, distributed.actors) or envs per actor (distributed.envsPerActor) ` +
    `waste less; a longer queue (distributed.maxQueuedUnrolls, now ${queueLimit}) keeps more at the cost of memory and policy lag, ` +
    `and distributed.queueFull: wait (the default) holds the actors back instead of dropping their work.`
  );
}
