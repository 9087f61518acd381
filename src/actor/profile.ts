import { makeEnv, type MakeEnvOptions } from '../env/index.js';
import { createModel, measureForwardFlops, resolveNetworkSpec } from '../model/index.js';
import type { NetworkSpec } from '../model/networks.js';

/**
 * Measurement windows of `measureDeviceFlops`. A process's first window pays for V8 tiering up the
 * wasm kernels on background threads, which share a CPU-limited device's quota: on the testbed at
 * 16.6% of a core the first window measured 1.13 GFLOP/s and the next ones 2.3–2.6.
 */
const WINDOWS = 3;

/**
 * This device's effective FLOP/s on the policy network (the cost model's f_d): the best of three
 * ~200 ms windows of forward passes of the whole network at batch 8, after a warm-up pass.
 */
export async function measureDeviceFlops(envId: string, spec?: NetworkSpec, envOptions: MakeEnvOptions = {}): Promise<number> {
  const env = makeEnv(envId, { ...envOptions, seed: 0 });
  const shape = env.observationShape as [number, number, number];
  const model = createModel(resolveNetworkSpec(spec ?? 'auto', shape), { inputShape: shape, numActions: env.numActions });
  try {
    let best = 0;
    for (let w = 0; w < WINDOWS; w++) best = Math.max(best, await measureForwardFlops(model, 8));
    return best;
  } finally {
    model.dispose();
  }
}
