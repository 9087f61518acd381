/**
 * A deadline on a run's progress: calls `onStall` once when `probe` (e.g. the size of the learner's
 * train.jsonl) has not changed for `stallMs`. A testbed run whose actors all failed would otherwise
 * wait for frames forever, and a study of dozens of runs with it.
 */
export interface ProgressWatch {
  stop(): void;
}

export function watchProgress(probe: () => number, stallMs: number, onStall: (idleMs: number) => void, everyMs = 2000): ProgressWatch {
  if (!(stallMs > 0)) throw new RangeError(`watchProgress needs stallMs > 0, got ${stallMs}`);
  let last = probe();
  let since = Date.now();
  const timer = setInterval(() => {
    const now = probe();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= stallMs) {
      clearInterval(timer);
      onStall(Date.now() - since);
    }
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
