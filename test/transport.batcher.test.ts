import { describe, expect, it } from 'vitest';
import { type Batch, BatchQueue, DynamicBatcher, type TimerApi } from '../src/transport/batcher.js';

/** Manual timers: time moves only through advance(). */
function fakeTimers(): TimerApi & { advance(ms: number): void; t: number; armed(): number } {
  let t = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const api = {
    get t() {
      return t;
    },
    now: () => t,
    setTimeout: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, { at: t + ms, fn });
      return id;
    },
    clearTimeout: (h: unknown) => {
      timers.delete(h as number);
    },
    armed: () => timers.size,
    advance(ms: number) {
      const end = t + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        t = due[1].at;
        due[1].fn();
      }
      t = end;
    },
  };
  return api;
}

const flush = () => new Promise((r) => setImmediate(r));
const summary = (b: Batch<string>) => ({ sp: b.splitPoint, items: b.items, envSteps: b.envSteps, reason: b.reason });

describe('BatchQueue', () => {
  it('releases a full batch as soon as queued env-steps reach maxBatch', () => {
    const q = new BatchQueue<string>({ maxBatch: 8, maxWaitMs: 5 });
    expect(q.push(0, 4, 'a', 0)).toEqual([]);
    expect(q.push(0, 3, 'b', 1)).toEqual([]);
    const out = q.push(0, 2, 'c', 2); // 9 >= 8: a+b (7) fit, c (would make 9) stays
    expect(out.map(summary)).toEqual([{ sp: 0, items: ['a', 'b'], envSteps: 7, reason: 'full' }]);
    expect(q.pendingEnvSteps).toBe(2);
    expect(q.pendingRequests).toBe(1);
  });

  it('counts env-steps, not requests: one 8-env request fills maxBatch 8', () => {
    const q = new BatchQueue<string>({ maxBatch: 8, maxWaitMs: 5 });
    expect(q.push(0, 8, 'big', 0).map(summary)).toEqual([{ sp: 0, items: ['big'], envSteps: 8, reason: 'full' }]);
  });

  it('a request larger than maxBatch goes out alone', () => {
    const q = new BatchQueue<string>({ maxBatch: 4, maxWaitMs: 5 });
    q.push(0, 1, 'small', 0);
    const out = q.push(0, 10, 'huge', 1);
    // 'small' then 'huge' alone; both are released because 11 >= 4 and then 10 >= 4.
    expect(out.map(summary)).toEqual([
      { sp: 0, items: ['small'], envSteps: 1, reason: 'full' },
      { sp: 0, items: ['huge'], envSteps: 10, reason: 'full' },
    ]);
  });

  it('groups by split point: requests at different split points never share a batch', () => {
    const q = new BatchQueue<string>({ maxBatch: 4, maxWaitMs: 5 });
    q.push(0, 2, 'a0', 0);
    q.push(2, 2, 'a2', 0);
    expect(q.push(0, 2, 'b0', 1).map(summary)).toEqual([{ sp: 0, items: ['a0', 'b0'], envSteps: 4, reason: 'full' }]);
    expect(q.pendingEnvSteps).toBe(2);
  });

  it('releases on timeout when the oldest request has waited maxWaitMs, oldest group first', () => {
    const q = new BatchQueue<string>({ maxBatch: 100, maxWaitMs: 5 });
    q.push(3, 1, 'x', 0);
    q.push(0, 1, 'y', 2);
    q.push(3, 1, 'z', 4);
    expect(q.nextDeadline()).toBe(5);
    expect(q.due(4.999)).toEqual([]);
    expect(q.due(5).map(summary)).toEqual([{ sp: 3, items: ['x', 'z'], envSteps: 2, reason: 'timeout' }]);
    expect(q.nextDeadline()).toBe(7);
    expect(q.due(7).map(summary)).toEqual([{ sp: 0, items: ['y'], envSteps: 1, reason: 'timeout' }]);
    expect(q.nextDeadline()).toBeUndefined();
  });

  it('requests are never split: a prefix that would overflow maxBatch leaves the next request queued', () => {
    const q = new BatchQueue<string>({ maxBatch: 4, maxWaitMs: 1 });
    q.push(0, 3, 'a', 0);
    // a + b = 6 >= 4, but a + b > 4: only a goes.
    expect(q.push(0, 3, 'b', 0).map(summary)).toEqual([{ sp: 0, items: ['a'], envSteps: 3, reason: 'full' }]);
    expect(q.push(0, 1, 'c', 0).map(summary)).toEqual([{ sp: 0, items: ['b', 'c'], envSteps: 4, reason: 'full' }]);
    expect(q.pendingRequests).toBe(0);
  });

  it('maxWaitMs 0 releases everything on the next poll; flush empties the queue', () => {
    const q = new BatchQueue<string>({ maxBatch: 10, maxWaitMs: 0 });
    q.push(1, 1, 'a', 0);
    expect(q.due(0).map(summary)).toEqual([{ sp: 1, items: ['a'], envSteps: 1, reason: 'timeout' }]);
    q.push(1, 1, 'b', 0);
    q.push(2, 1, 'c', 0);
    expect(q.flush().map((b) => b.reason)).toEqual(['flush', 'flush']);
    expect(q.pendingRequests).toBe(0);
  });

  it('releases a batch as soon as every stream at its split point has a request waiting, long before maxBatch or maxWaitMs', () => {
    const streams = new Map([
      [0, 3],
      [1, 1],
    ]);
    const q = new BatchQueue<string>({ maxBatch: 64, maxWaitMs: 1000, streamsAt: (y) => streams.get(y) ?? 0 });
    expect(q.push(0, 4, 'a', 0)).toEqual([]);
    expect(q.push(0, 4, 'b', 0.1)).toEqual([]);
    const [b] = q.push(0, 4, 'c', 0.2); // the third of three streams at y = 0
    expect(b.reason).toBe('complete');
    expect(b.items).toEqual(['a', 'b', 'c']);
    expect(b.envSteps).toBe(12);
    // y = 1 has one stream: its request goes alone at once.
    expect(q.push(1, 4, 'd', 0.3)[0].items).toEqual(['d']);
    // A stream leaves: the two waiting at y = 0 are now everyone, released by recheck().
    q.push(0, 4, 'e', 1);
    q.push(0, 4, 'f', 1);
    expect(q.recheck()).toEqual([]);
    streams.set(0, 2);
    const [r] = q.recheck();
    expect([r.reason, r.items]).toEqual(['complete', ['e', 'f']]);
    expect(q.pendingRequests).toBe(0);
  });

  it('validates its options and inputs', () => {
    expect(() => new BatchQueue({ maxBatch: 0, maxWaitMs: 1 })).toThrow(/maxBatch must be an integer >= 1/);
    expect(() => new BatchQueue({ maxBatch: 1, maxWaitMs: -1 })).toThrow(/maxWaitMs must be a finite number >= 0/);
    expect(() => new BatchQueue({ maxBatch: 1, maxWaitMs: 1 }).push(0, 0, 'x', 0)).toThrow(/numEnvs must be an integer >= 1/);
  });
});

describe('DynamicBatcher (fake clock)', () => {
  it('resolves each request with its slice of the batch result, full batches immediately, others at the deadline', async () => {
    const timers = fakeTimers();
    const runs: { sp: number; items: string[]; at: number; reason: string }[] = [];
    const b = new DynamicBatcher<string, string>({
      maxBatch: 4,
      maxWaitMs: 10,
      timers,
      run: async (batch) => {
        runs.push({ sp: batch.splitPoint, items: batch.items, at: timers.now(), reason: batch.reason });
        return batch.items.map((x) => `${x}@${batch.splitPoint}`);
      },
    });
    const p1 = b.submit(0, 2, 'a');
    timers.advance(3);
    const p2 = b.submit(0, 2, 'b'); // 4 env-steps: full now
    const p3 = b.submit(1, 1, 'c'); // alone at split point 1: waits for the deadline
    await flush();
    expect(await p1).toBe('a@0');
    expect(await p2).toBe('b@0');
    expect(runs).toEqual([{ sp: 0, items: ['a', 'b'], at: 3, reason: 'full' }]);
    timers.advance(9.5); // t = 12.5 < 3 + 10
    await flush();
    expect(runs.length).toBe(1);
    timers.advance(0.5); // t = 13: c's deadline
    expect(await p3).toBe('c@1');
    expect(runs[1]).toEqual({ sp: 1, items: ['c'], at: 13, reason: 'timeout' });
    expect(b.stats).toMatchObject({ batches: 2, envSteps: 5, full: 1, timeout: 1 });
    expect(timers.armed()).toBe(0);
  });

  it('a failing or mis-sized batch rejects all of its requests, and close() flushes', async () => {
    const timers = fakeTimers();
    const b = new DynamicBatcher<number, number>({
      maxBatch: 2,
      maxWaitMs: 5,
      timers,
      run: async (batch) => {
        if (batch.items.includes(13)) throw new Error('unlucky');
        return batch.items.length === 2 ? [1] : batch.items;
      },
    });
    const bad = [b.submit(0, 1, 13), b.submit(0, 1, 1)];
    await expect(bad[0]).rejects.toThrow('unlucky');
    await expect(bad[1]).rejects.toThrow('unlucky');
    const miss = [b.submit(0, 1, 2), b.submit(0, 1, 3)];
    await expect(miss[0]).rejects.toThrow(/returned 1 results for 2 requests/);
    await expect(miss[1]).rejects.toThrow(/returned 1 results/);
    const last = b.submit(0, 1, 42);
    b.close();
    expect(await last).toBe(42);
    await expect(b.submit(0, 1, 1)).rejects.toThrow(/closed/);
  });
});
