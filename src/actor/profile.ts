import { makeEnv, type MakeEnvOptions } from '../env/index.js';
import { createModel, measureForwardFlops, resolveNetworkSpec } from '../model/index.js';
import type { NetworkSpec } from '../model/networks.js';

/**
 * This device's effective FLOP/s on the policy network (the cost model's f_d): times a forward pass of
 * the whole network at batch 8 after a warm-up, for ~200 ms.
 */
export async function measureDeviceFlops(envId: string, spec?: NetworkSpec, envOptions: MakeEnvOptions = {}): Promise<number> {
  const env = makeEnv(envId, { ...envOptions, seed: 0 });
  const shape = env.observationShape as [number, number, number];
  const model = createModel(resolveNetworkSpec(spec ?? 'auto', shape), { inputShape: shape, numActions: env.numActions });
  try {
    return await measureForwardFlops(model, 8);
  } finally {
    model.dispose();
  }
}
