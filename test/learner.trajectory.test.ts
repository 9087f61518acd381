import { describe, expect, it } from 'vitest';
import { TrajectoryAssembler, type Unroll, type EpisodeEnd } from '../src/learner/trajectory-assembler.js';
import { Rng } from '../src/util/rng.js';

const T = 4;
const A = 2;
const S = 3;

function obsOf(step: number): Uint8Array {
  return Uint8Array.from([step & 255, (step >> 8) & 255, 7]);
}

describe('trajectory assembler', () => {
  it('builds unrolls of T steps and T+1 observations with the overlap observation', () => {
    const out: Unroll[] = [];
    const eps: EpisodeEnd[] = [];
    const asm = new TrajectoryAssembler(
      { unrollLength: T, numActions: A, obsSize: S },
      (u) => out.push(u),
      (e) => eps.push(e),
    );
    for (let s = 0; s <= 2 * T; s++) {
      asm.observation(1, 0, s, obsOf(s));
      if (s > 0) asm.outcome(1, 0, s - 1, s - 1, s - 1 === 5);
      if (s < 2 * T) asm.served(1, 0, s, s % A, Float32Array.from([s, -s]), 10 + s);
    }
    expect(out.map((u) => u.index)).toEqual([0, 1]);
    expect([...out[1].obs]).toEqual([4, 0, 7, 5, 0, 7, 6, 0, 7, 7, 0, 7, 8, 0, 7]);
    expect([...out[0].actions]).toEqual([0, 1, 0, 1]);
    expect([...out[1].rewards]).toEqual([4, 5, 6, 7]);
    expect([...out[1].dones]).toEqual([0, 1, 0, 0]);
    expect([...out[1].logits]).toEqual([4, -4, 5, -5, 6, -6, 7, -7]);
    expect(out[1].minVersion).toBe(14);
    // episode: rewards 0..5 then done at step 5
    expect(eps).toEqual([{ actorId: 1, env: 0, ret: 0 + 1 + 2 + 3 + 4 + 5, length: 6 }]);
    expect(asm.stepsAssembled).toBe(8);
    expect(asm.pendingSteps()).toBe(0);
  });

  it('accounts every served step exactly once whatever order the pieces arrive in', () => {
    const rng = new Rng(42);
    const seen = new Map<string, number>();
    const asm = new TrajectoryAssembler({ unrollLength: T, numActions: A, obsSize: S }, (u) => {
      for (let j = 0; j < T; j++) {
        const key = `${u.actorId}:${u.env}:${u.index * T + j}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        expect(u.actions[j]).toBe((u.index * T + j) % A);
      }
    });
    const events: (() => void)[] = [];
    const steps = 10 * T;
    for (const actor of [0, 1]) {
      for (const env of [0, 1, 2]) {
        for (let s = 0; s <= steps; s++) {
          events.push(() => asm.observation(actor, env, s, obsOf(s)));
          if (s < steps) {
            events.push(() => asm.served(actor, env, s, s % A, new Float32Array(A), 1));
            events.push(() => asm.outcome(actor, env, s, 1, false));
          }
        }
      }
    }
    // shuffle (outcomes of one env must stay in order for episode returns; shuffle only across envs/kinds)
    for (let i = events.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [events[i], events[j]] = [events[j], events[i]];
    }
    for (const e of events) e();
    expect(seen.size).toBe(2 * 3 * steps);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(asm.duplicates).toBe(0);
  });

  it('ignores and counts duplicates, and drops a departed actor with an exact count', () => {
    const out: Unroll[] = [];
    const asm = new TrajectoryAssembler({ unrollLength: T, numActions: A, obsSize: S }, (u) => out.push(u));
    asm.served(3, 0, 0, 1, new Float32Array(A), 1);
    asm.served(3, 0, 0, 1, new Float32Array(A), 1);
    asm.observation(3, 0, 0, obsOf(0));
    asm.observation(3, 0, 0, obsOf(0));
    expect(asm.duplicates).toBe(2);
    asm.served(3, 1, 5, 1, new Float32Array(A), 1);
    asm.served(4, 0, 0, 1, new Float32Array(A), 1);
    expect(asm.pendingSteps(3)).toBe(2);
    expect(asm.dropActor(3)).toBe(2);
    expect(asm.pendingSteps()).toBe(1);
    expect(() => asm.observation(4, 0, 1, new Uint8Array(2))).toThrow(/2 bytes, expected 3/);
  });

  it('a step more than maxUnrollsAhead unrolls beyond the newest is too far ahead until the actor’s older pieces arrive', async () => {
    const asm = new TrajectoryAssembler(
      { unrollLength: T, numActions: A, obsSize: S },
      () => {},
      () => {},
      { maxPendingPerEnv: 16, maxUnrollsAhead: 2 },
    );
    // newest unroll of actor 1 is -1: unrolls 0..1 are in reach, step 12 (unroll 3) is not
    expect(asm.tooFarAhead(1, 7)).toBe(false);
    expect(asm.tooFarAhead(1, 12)).toBe(true);
    expect(() => asm.checkStep(1, 12)).toThrow(/step id 12 \(unroll 3\) is more than 2 unrolls beyond this actor's newest \(unroll -1\)/);
    let woke = false;
    const p = asm.progressed(1).then(() => (woke = true));
    asm.observation(2, 0, 0, obsOf(0)); // another actor's piece wakes nobody here
    await Promise.resolve();
    expect(woke).toBe(false);
    asm.observation(1, 0, 4, obsOf(4)); // actor 1 opens unroll 1 (an upload of its local steps)
    await p;
    expect(woke).toBe(true);
    expect(asm.tooFarAhead(1, 12)).toBe(false);
    // a forgotten actor wakes its waiters too (their requests then fail as always)
    const q = asm.progressed(1);
    asm.dropActor(1);
    await q;
  });
});

describe('stacking unrolls into a time-major batch', () => {
  it('puts unroll b, time t at index t·B + b', async () => {
    const { stackUnrolls } = await import('../src/learner/batch.js');
    const mk = (id: number): Unroll => ({
      actorId: id,
      env: 0,
      index: 0,
      obs: Uint8Array.from({ length: (T + 1) * S }, (_, i) => id * 100 + i),
      actions: Int32Array.from({ length: T }, (_, t) => id * 10 + t),
      rewards: Float32Array.from({ length: T }, (_, t) => id + t / 10),
      dones: Uint8Array.from({ length: T }, (_, t) => (t === id ? 1 : 0)),
      logits: Float32Array.from({ length: T * A }, (_, i) => id * 1000 + i),
      minVersion: 0,
    });
    const b = stackUnrolls([mk(0), mk(1)], T, A, S);
    expect([...b.actions]).toEqual([0, 10, 1, 11, 2, 12, 3, 13]);
    expect([...b.dones]).toEqual([1, 0, 0, 1, 0, 0, 0, 0]);
    // obs time 1 of unroll 1 = its bytes S..2S
    expect([...b.obs.subarray((1 * 2 + 1) * S, (1 * 2 + 2) * S)]).toEqual([103, 104, 105]);
    expect([...b.behaviourLogits.subarray((2 * 2 + 1) * A, (2 * 2 + 2) * A)]).toEqual([1004, 1005]);
  });
});
