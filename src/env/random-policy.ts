/**
 * The uniformly random agent every learning curve is compared with: `coknight random` (mean return
 * over episodes) and `coknight render` (a rollout to look at) both play it from the same seeded stream.
 */
import { makeEnv } from './registry.js';
import type { Env, ObservationSpec } from './types.js';
import { Rng } from '../util/rng.js';

/** Seeded uniform actions for `env` (the policy's generator is seed + 1,000,003, apart from the env's). */
export function randomActions(env: Pick<Env, 'numActions'>, seed: number): () => number {
  const rng = new Rng(seed + 1_000_003);
  return () => rng.int(env.numActions);
}

export function runRandomAgent(
  id: string,
  episodes: number,
  seed: number,
  romDir?: string,
): { env: string; episodes: number; meanReturn: number; meanLength: number; returns: number[] } {
  const env = makeEnv(id, { seed, ...(romDir ? { romDir } : {}) });
  const act = randomActions(env, seed);
  const returns: number[] = [];
  let steps = 0;
  for (let e = 0; e < episodes; e++) {
    env.reset();
    let ret = 0;
    for (;;) {
      const r = env.step(act());
      ret += r.reward;
      steps++;
      if (r.terminated || r.truncated) break;
    }
    returns.push(ret);
  }
  const meanReturn = returns.reduce((a, b) => a + b, 0) / episodes;
  return { env: id, episodes, meanReturn, meanLength: steps / episodes, returns };
}

export interface RandomRollout {
  readonly spec: ObservationSpec;
  /** steps + 1 observations: the first of the episode, then one after each step (a reset's after an episode ends). */
  readonly frames: Uint8Array[];
  /** Returns of the episodes that ended within the rollout. */
  readonly returns: number[];
  /** Reward collected on each step. */
  readonly rewards: number[];
}

/** Plays a seeded uniformly random policy for `steps` steps, starting a new episode whenever one ends. */
export function randomRollout(id: string, seed: number, steps: number, stickyActionProb?: number, romDir?: string): RandomRollout {
  const env = makeEnv(id, { seed, stickyActionProb, ...(romDir ? { romDir } : {}) });
  const act = randomActions(env, seed);
  const frames = [env.reset()];
  const returns: number[] = [];
  const rewards: number[] = [];
  let ret = 0;
  for (let t = 0; t < steps; t++) {
    const r = env.step(act());
    rewards.push(r.reward);
    ret += r.reward;
    if (r.terminated || r.truncated) {
      returns.push(ret);
      ret = 0;
      frames.push(env.reset());
    } else {
      frames.push(r.observation);
    }
  }
  return { spec: env.observationSpec, frames, returns, rewards };
}
