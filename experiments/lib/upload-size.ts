/**
 * What a training upload really costs per env step: the bytes of the deflated step blocks an actor
 * sends (src/actor/upload-block.ts: one block per unroll of `steps` steps × `envs` envs, observations
 * only, as a y > 0 actor uploads them), measured on the env's own frames under a seeded random policy.
 */
import { makeEnv } from '../../src/env/index.js';
import { type BlockStep, encodeStepBlock } from '../../src/transport/index.js';
import { Rng } from '../../src/util/rng.js';

export function uploadBytesPerStep(envId: string, opts: { envs?: number; steps?: number; blocks?: number; seed?: number } = {}): number {
  const { envs: n = 2, steps = 20, blocks = 10, seed = 1 } = opts;
  const envs = Array.from({ length: n }, (_, i) => makeEnv(envId, { seed: seed + i }));
  const rng = new Rng(seed);
  const obs = envs.map((e) => e.reset());
  const S = obs[0].length;
  let bytes = 0;
  for (let b = 0; b < blocks; b++) {
    const block: BlockStep[] = [];
    for (let t = 0; t < steps; t++) {
      envs.forEach((e, i) => {
        const r = e.step(rng.int(e.numActions));
        obs[i] = r.terminated || r.truncated ? e.reset() : r.observation;
      });
      const all = new Uint8Array(n * S);
      obs.forEach((o, i) => all.set(o, i * S));
      block.push({ step: b * steps + t, obs: all });
    }
    bytes += encodeStepBlock({ numEnvs: n, obsSize: S, numActions: envs[0].numActions, steps: block }, 'deflate').length;
  }
  return bytes / (blocks * steps * n);
}
