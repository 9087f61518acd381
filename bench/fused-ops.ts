/**
 * Learner training with this project's fused ops against tfjs's own, alternating in one process
 * (T=20, B=32, 640 frames per update, 1 thread; medians of --rounds): "fused" runs conv/dense +
 * bias + ReLU as one kernel under the gradient tape with a one-pass ReLU gradient
 * (src/backend/relu-ops.ts) and, on the native backend, RMSProp with the clipping scale as one
 * in-place pass per variable (src/backend/native/native-rmsprop.ts); "tfjs" is tf.fused (which
 * unfuses under a tape: conv, Add, Relu; Step, Cast, Multiply) and tf.RMSPropOptimizer.
 *
 * Usage: npx tsx bench/fused-ops.ts [--model impala-shallow|minatar] [--backend native|wasm] [--rounds 7]
 */
import { Command } from 'commander';
import { initBackend, setNativeRmsProp, type BackendPreference } from '../src/backend/index.js';
import { setReluOps } from '../src/backend/relu-ops.js';
import { TrainStep } from '../src/learner/train-step.js';
import { createModel, type NetworkSpec } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';
import { randomTrainBatch } from './lib/train-batch.js';

const o = new Command()
  .option('--model <name>', 'impala-shallow | minatar', 'impala-shallow')
  .option('--backend <name>', 'native | wasm', 'native')
  .option('--rounds <n>', 'alternating rounds (median reported)', '7')
  .parse()
  .opts<{ model: NetworkSpec; backend: BackendPreference; rounds: string }>();
const [T, B, A] = [20, 32, 6];
const shape: [number, number, number] = o.model === 'minatar' ? [10, 10, 4] : [84, 84, 4];
const info = await initBackend({ prefer: o.backend, threads: 1, log: () => {} });
const rng = new Rng(1);
const S = shape[0] * shape[1] * shape[2];
const batch = randomTrainBatch(rng, T, B, A, S, o.model === 'minatar');
const use = (fused: boolean): void => {
  setReluOps(fused);
  setNativeRmsProp(fused);
};
const variants = [true, false] as const;
const steps = new Map<boolean, TrainStep>();
for (const fused of variants) {
  use(fused);
  const model = createModel(o.model, { inputShape: shape, numActions: A, seed: 1 });
  steps.set(fused, await TrainStep.create(model, { unrollLength: T, batchSize: B, annealLearningRate: false }));
}
const fps = new Map<boolean, number[]>(variants.map((v) => [v, []]));
const reps = o.model === 'minatar' ? 20 : 4;
for (let r = 0; r < Number(o.rounds); r++) {
  for (const fused of variants) {
    use(fused);
    const st = steps.get(fused)!;
    await st.step(batch); // warm: this variant's kernels and memory
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await st.step(batch);
    fps.get(fused)!.push((T * B * reps) / ((performance.now() - t0) / 1000));
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`${o.model} on ${info.name}, ${o.rounds} alternating rounds of ${reps} updates (frames/s)`);
for (const fused of variants) {
  const xs = fps.get(fused)!;
  console.log(`  ${fused ? 'fused' : 'tfjs '}  ${xs.map((x) => x.toFixed(0)).join(' / ')}  median ${median(xs).toFixed(0)}`);
}
console.log(`  fused / tfjs: ${(median(fps.get(true)!) / median(fps.get(false)!)).toFixed(2)}×`);
