import { describe, expect, it } from 'vitest';
import { Rng } from '../src/util/rng.js';
import { backoffDelay, checkBackoff, DEFAULT_BACKOFF } from '../src/transport/backoff.js';
import { type Clock, formatBandwidth, LinkStats, makeLink, Pacer, parseBandwidth } from '../src/transport/pacer.js';

/** A clock that only moves when someone sleeps on it. */
function fakeClock(): Clock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

describe('parseBandwidth', () => {
  it.each([
    ['10MB/s', 10_000_000],
    ['500KB/s', 500_000],
    ['1.5Mbit/s', 187_500],
    ['2MiB/s', 2 * 1024 * 1024],
    ['800B/s', 800],
    ['1GB/s', 1e9],
    ['64kbit/s', 8000],
    ['1e3KB/s', 1e6],
    [' 10 MB/s ', 10_000_000],
  ])('%s = %d bytes/s', (text, bytes) => {
    expect(parseBandwidth(text)).toBeCloseTo(bytes, 6);
  });

  it('unlimited is Infinity', () => {
    expect(parseBandwidth('unlimited')).toBe(Infinity);
    expect(parseBandwidth('Unlimited')).toBe(Infinity);
  });

  it.each([
    ['10', /write a number and a unit per second/],
    ['fast', /not understood/],
    ['10Mb/s', /lower-case "b" as in "Mb" is ambiguous/],
    ['10XB/s', /unknown unit "XB\/s"/],
    ['0MB/s', /positive finite rate/],
    ['-5MB/s', /not understood/],
  ])('rejects %s with a clear message', (text, re) => {
    expect(() => parseBandwidth(text)).toThrow(re);
  });

  it('formats rates back', () => {
    expect(formatBandwidth(10_000_000)).toBe('10MB/s');
    expect(formatBandwidth(187_500)).toBe('187.5KB/s');
    expect(formatBandwidth(Infinity)).toBe('unlimited');
  });
});

describe('Pacer', () => {
  it('books transfers at max(now, freeAt) + bytes/cap', () => {
    const p = new Pacer(1000, { clock: fakeClock(), burstMs: 0 }); // 1000 B/s = 1 byte per ms
    expect(p.reserve(100, 0)).toBe(100); // free link: done at 0 + 100 ms
    expect(p.reserve(50, 20)).toBe(150); // link busy until 100: 100 + 50
    expect(p.reserve(10, 500)).toBe(510); // idle again: starts now
  });

  it('acquire sleeps exactly the booked time on a fake clock', async () => {
    const clock = fakeClock();
    const p = new Pacer(2000, { clock, burstMs: 0 }); // 2 bytes per ms
    await p.acquire(1000); // 500 ms
    await p.acquire(200); // 100 ms
    expect(clock.sleeps).toEqual([500, 100]);
    expect(clock.t).toBe(600);
    // Throughput over the whole run equals the cap.
    expect((1200 / clock.t) * 1000).toBeCloseTo(2000, 9);
    expect(p.stats()).toEqual({ bytes: 1200, waitMs: 600, bytesPerSec: 2000 });
  });

  it('acquire resolves in booking order even when a later booking has less left to wait', async () => {
    // A sender that stalls between two bookings: the second finds its slot already due (wait 0)
    // while the first still sleeps. Timers alone would let the second overtake the first.
    const wakers: (() => void)[] = [];
    let t = 0;
    const clock: Clock = { now: () => t, sleep: () => new Promise<void>((resolve) => wakers.push(resolve)) };
    const p = new Pacer(1000, { clock, burstMs: 10 }); // 1 byte per ms
    const order: string[] = [];
    const a = p.acquire(50).then(() => order.push('a')); // booked -10 → 40: sleeps 40 ms
    await new Promise((r) => setTimeout(r, 0));
    expect(wakers).toHaveLength(1);
    t = 100; // stalled 100 ms
    const b = p.acquire(10).then(() => order.push('b')); // booked 90 → 100: due now
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([]); // b waits behind a
    wakers.shift()!();
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    expect(wakers).toEqual([]); // b was due by then: no second sleep
  });

  it('burstMs lets a late sender catch up, but never beyond burstMs × cap ahead', () => {
    const p = new Pacer(1000, { clock: fakeClock(), burstMs: 10 });
    expect(p.reserve(100, 1000)).toBe(1090); // idle link: may start 10 ms in the past
    expect(p.reserve(100, 1093)).toBe(1190); // woke 3 ms late: no time lost, continues from 1090
    expect(p.reserve(100, 1300)).toBe(1390); // 110 ms late: only 10 ms are credited
    // Over the busy stretch 1000 → 1190 the link carried 200 bytes in 190 ms: at most burst more than cap.
  });

  it('unlimited never waits', async () => {
    const clock = fakeClock();
    const p = Pacer.fromString('unlimited', { clock });
    await p.acquire(1e9);
    expect(clock.sleeps).toEqual([]);
  });

  it('rejects bad caps and byte counts', () => {
    expect(() => new Pacer(0)).toThrow(/bytesPerSec must be > 0/);
    expect(() => new Pacer(10).reserve(-1)).toThrow(/bytes must be a finite number >= 0/);
    expect(() => new Pacer(10, { burstMs: -1 })).toThrow(/burstMs must be a finite number >= 0/);
  });

  it('makeLink caps both directions independently', () => {
    const l = makeLink('1MB/s', { clock: fakeClock() });
    expect(l.up.bytesPerSec).toBe(1e6);
    expect(l.down.bytesPerSec).toBe(1e6);
    expect(l.up).not.toBe(l.down);
  });
});

describe('LinkStats', () => {
  it('counts bytes and messages per channel and in total', () => {
    const s = new LinkStats();
    s.sent('inference', 100);
    s.sent('inference', 50);
    s.received('params', 2000);
    s.sent('upload', 7);
    const snap = s.snapshot();
    expect(snap.inference).toEqual({ sentBytes: 150, receivedBytes: 0, sentMessages: 2, receivedMessages: 0 });
    expect(snap.params.receivedBytes).toBe(2000);
    expect(snap.total).toEqual({ sentBytes: 157, receivedBytes: 2000, sentMessages: 3, receivedMessages: 1 });
    expect(() => s.sent('video' as never, 1)).toThrow(/unknown channel "video"/);
  });
});

describe('backoff', () => {
  it('grows geometrically up to the cap without jitter', () => {
    const o = { ...DEFAULT_BACKOFF, initialMs: 100, maxMs: 1000, multiplier: 2, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitter stays within ±jitter and is reproducible from the seed', () => {
    const o = { ...DEFAULT_BACKOFF, initialMs: 100, maxMs: 10_000, multiplier: 2, jitter: 0.25 };
    const a = [0, 1, 2, 3].map((k) => backoffDelay(k, o, new Rng(5)));
    const b = [0, 1, 2, 3].map((k) => backoffDelay(k, o, new Rng(5)));
    expect(a).toEqual(b);
    a.forEach((d, k) => {
      const base = 100 * 2 ** k;
      expect(d).toBeGreaterThanOrEqual(base * 0.75);
      expect(d).toBeLessThanOrEqual(base * 1.25);
    });
  });

  it('validates options', () => {
    expect(() => checkBackoff({ ...DEFAULT_BACKOFF, multiplier: 0.5 })).toThrow(/multiplier must be >= 1/);
    expect(() => checkBackoff({ ...DEFAULT_BACKOFF, maxMs: 1 })).toThrow(/maxMs must be >= initialMs/);
  });
});
