/**
 * Where one learner update (TrainStep, T=20, B=32) spends its time on the native backend: the wall
 * time of awaited updates, then one update under tf.profile, its kernel time by kernel name and by
 * kernel and input shapes. The rest of the profiled wall time is JS outside any kernel (V-trace,
 * batch assembly, the tape). Profiling adds overhead: compare kernels with each other.
 *
 * Run: npx tsx bench/native-profile.ts [impala-shallow|minatar] [reps]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { TrainStep } from '../src/learner/train-step.js';
import { createModel, type NetworkSpec } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';
import { randomTrainBatch } from './lib/train-batch.js';
const spec = (process.argv[2] ?? 'impala-shallow') as NetworkSpec;
const T = 20,
  B = 32,
  A = 6;
const shape: [number, number, number] = spec === 'minatar' ? [10, 10, 4] : [84, 84, 4];
await initBackend({ prefer: 'native', threads: 1, log: () => {} });
const model = createModel(spec, { inputShape: shape, numActions: A, seed: 1 });
const step = await TrainStep.create(model, { unrollLength: T, batchSize: B, annealLearningRate: false });
const rng = new Rng(1);
const S = shape[0] * shape[1] * shape[2];
const batch = randomTrainBatch(rng, T, B, A, S, spec === 'minatar');
for (let i = 0; i < 2; i++) await step.step(batch);
const reps = Number(process.argv[3] ?? 3);
let t0 = performance.now();
for (let i = 0; i < reps; i++) await step.step(batch);
const wall = (performance.now() - t0) / reps;
console.log(`wall per step (unprofiled, awaited) ${wall.toFixed(1)} ms = ${(((T * B) / wall) * 1000).toFixed(0)} frames/s`);
t0 = performance.now();
const p = await tf.profile(async () => {
  await step.step(batch);
});
const pw = performance.now() - t0;
const by = new Map<string, { ms: number; n: number }>();
let tot = 0;
for (const k of p.kernels) {
  const key = k.name + ' ' + JSON.stringify(k.inputShapes);
  const e = by.get(key) ?? { ms: 0, n: 0 };
  e.ms += k.kernelTimeMs as number;
  e.n++;
  by.set(key, e);
  tot += k.kernelTimeMs as number;
}
const byName = new Map<string, number>();
for (const k of p.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log(`profiled wall ${pw.toFixed(1)} ms, kernels ${tot.toFixed(1)} ms, ${p.kernels.length} kernel calls`);
for (const [n, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${ms.toFixed(1).padStart(8)} ${n}`);
console.log('--- by shape');
for (const [n, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) console.log(`  ${e.ms.toFixed(1).padStart(8)} x${e.n} ${n}`);
process.exit(0);
