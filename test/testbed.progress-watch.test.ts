/** The testbed's deadline on a run's progress (fake timers: no waiting, no wall-clock assertions). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchProgress } from '../src/testbed/progress-watch.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('watchProgress', () => {
  it('fires once when the probe stays the same for stallMs, with the idle time', () => {
    const stalls: number[] = [];
    watchProgress(
      () => 7,
      10_000,
      (idle) => stalls.push(idle),
      1000,
    );
    vi.advanceTimersByTime(9_000);
    expect(stalls).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(stalls).toEqual([10_000]);
    vi.advanceTimersByTime(60_000);
    expect(stalls).toHaveLength(1);
  });

  it('does not fire while the probe moves, and counts the deadline from the last change', () => {
    let size = 0;
    const stalls: number[] = [];
    watchProgress(
      () => size,
      10_000,
      (idle) => stalls.push(idle),
      1000,
    );
    for (let t = 0; t < 60; t++) {
      size += 100; // a line per 2 s
      vi.advanceTimersByTime(2_000);
    }
    expect(stalls).toEqual([]);
    // The last change (at 118 s) was seen by the tick at 119 s: the deadline is the tick at 129 s.
    vi.advanceTimersByTime(8_000);
    expect(stalls).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(stalls).toEqual([10_000]);
  });

  it('stop() ends the watch; a bad deadline is refused', () => {
    const stalls: number[] = [];
    const w = watchProgress(
      () => 1,
      5_000,
      (idle) => stalls.push(idle),
      1000,
    );
    w.stop();
    vi.advanceTimersByTime(60_000);
    expect(stalls).toEqual([]);
    expect(() =>
      watchProgress(
        () => 1,
        0,
        () => {},
      ),
    ).toThrow(/stallMs > 0/);
  });
});
