/**
 * Learner throughput per backend, side by side: inference (samples/s of a full forward pass at batch
 * 1, 8 and 32) and the train step (frames/s of one TrainStep update on T×B frames) for the MinAtar
 * and IMPALA shallow networks. Every available backend is measured in the same process (tfjs can
 * switch backends); medians of --reps timed runs after a warm-up. The cpu backend trains the IMPALA
 * net so slowly that its train step runs on a smaller batch (--cpu-batch), scaled to frames/s.
 *
 * Usage: npx tsx bench/learner-throughput.ts [--backends wasm,cpu] [--reps 5] [--cpu-batch 2]
 */
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { initBackend } from '../src/backend/index.js';
import { TrainStep } from '../src/learner/train-step.js';
import { createModel, type NetworkSpec } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';

const o = new Command()
  .option('--backends <list>', 'backends to try (tensorflow is used where installed)', 'tensorflow,wasm,cpu')
  .option('--reps <n>', 'timed repetitions (median)', Number, 5)
  .option('--cpu-batch <n>', 'train-step batch on the cpu backend', Number, 2)
  .parse()
  .opts<{ backends: string; reps: number; cpuBatch: number }>();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function timeIt(fn: () => void, reps: number): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts) / 1000;
}

const NETS: [NetworkSpec, [number, number, number], number][] = [
  ['minatar', [10, 10, 4], 6],
  ['impala-shallow', [84, 84, 4], 6],
];

await initBackend({ log: () => {} });
const rows: string[] = [];
for (const backend of o.backends.split(',')) {
  try {
    if (backend === 'tensorflow' && tf.findBackendFactory('tensorflow') == null) {
      rows.push(`${backend.padEnd(10)} (not installed: see docs/backend.md)`);
      continue;
    }
    if (!(await tf.setBackend(backend))) throw new Error('failed to initialise');
  } catch (e) {
    rows.push(`${backend.padEnd(10)} (unavailable: ${(e as Error).message})`);
    continue;
  }
  for (const [spec, shape, A] of NETS) {
    const model = createModel(spec, { inputShape: shape, numActions: A, seed: 1 });
    const rng = new Rng(1);
    const inf: number[] = [];
    for (const n of [1, 8, 32]) {
      const x = tf.tensor4d(
        Float32Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.int(2)),
        [n, ...shape],
      );
      const s = timeIt(() => tf.tidy(() => void model.forward(x).logits.dataSync()), o.reps);
      x.dispose();
      inf.push(n / s);
    }
    const T = 20;
    const B = backend === 'cpu' ? o.cpuBatch : 32;
    const step = await TrainStep.create(model, { unrollLength: T, batchSize: B, totalFrames: 1e9 });
    const S = shape[0] * shape[1] * shape[2];
    const batch = {
      obs: Uint8Array.from({ length: (T + 1) * B * S }, () => rng.int(spec === 'minatar' ? 2 : 256)),
      actions: Int32Array.from({ length: T * B }, () => rng.int(A)),
      rewards: Float32Array.from({ length: T * B }, () => rng.int(2)),
      dones: new Uint8Array(T * B),
      behaviourLogits: new Float32Array(T * B * A),
    };
    const trainS = timeIt(() => void step.step(batch), Math.max(1, Math.min(o.reps, backend === 'cpu' ? 1 : o.reps)));
    step.dispose();
    model.dispose();
    rows.push(
      `${backend.padEnd(10)} ${spec.padEnd(15)} ${inf.map((v) => v.toFixed(0).padStart(10)).join(' ')}   ${((T * B) / trainS).toFixed(0).padStart(8)}  (T=${T}, B=${B})`,
    );
  }
}
console.log('backend    network          infer b=1/s  b=8/s      b=32/s     train frames/s');
for (const r of rows) console.log(r);
