/**
 * Learner throughput per backend, side by side: batched tail inference (samples/s of act() on raw
 * observations — the learner's inference path at split point 0: forward, one read-back, sampling) at
 * each --batches size, and the train step (frames/s of one TrainStep update on T×B frames) for each
 * network. Every available backend is measured in the same process (tfjs can switch backends);
 * medians of --reps timed runs after a warm-up. The cpu backend trains the IMPALA nets so slowly that
 * its train step runs on a smaller batch (--cpu-batch), scaled to frames/s.
 *
 * Usage: npx tsx bench/learner-throughput.ts [--backends wasm,cpu] [--nets minatar,impala-shallow]
 *          [--batches 1,8,32] [--unroll 20] [--batch 32] [--reps 5] [--cpu-batch 2]
 * (bench/gpu-check.sh runs it with --backends webgpu,wasm --nets impala-shallow,impala-deep --batches 1,2,…,256.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { initBackend } from '../src/backend/index.js';
import { TrainStep } from '../src/learner/train-step.js';
import { act, createModel, NETWORK_SPECS, type NetworkSpec } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';

const list = (v: string): string[] => v.split(',').filter(Boolean);
const o = new Command()
  .option('--backends <list>', 'backends to try (tensorflow is used where installed; webgpu where an adapter is)', 'tensorflow,wasm,cpu')
  .option('--nets <list>', NETWORK_SPECS.join(','), 'minatar,impala-shallow')
  .option('--batches <list>', 'inference batch sizes', '1,8,32')
  .option('--unroll <n>', 'T of the train step', Number, 20)
  .option('--batch <n>', 'B of the train step', Number, 32)
  .option('--reps <n>', 'timed repetitions (median)', Number, 5)
  .option('--cpu-batch <n>', 'train-step batch on the cpu backend', Number, 2)
  .parse()
  .opts<{ backends: string; nets: string; batches: string; unroll: number; batch: number; reps: number; cpuBatch: number }>();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median seconds of `fn` (awaited: GPU work counts up to its read-back) after one warm-up run. */
async function timeIt(fn: () => Promise<unknown>, reps: number): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts) / 1000;
}

const nets = list(o.nets).map((n) => {
  if (!(NETWORK_SPECS as readonly string[]).includes(n)) throw new Error(`--nets: ${n} is not one of ${NETWORK_SPECS.join(', ')}`);
  return n as NetworkSpec;
});
const batches = list(o.batches).map(Number);
const shapeOf = (spec: NetworkSpec): [number, number, number] => (spec === 'minatar' ? [10, 10, 4] : [84, 84, 4]);
const A = 6;

await initBackend({ log: () => {} });
const rows: string[] = [];
for (const backend of list(o.backends)) {
  try {
    if (backend === 'tensorflow' && tf.findBackendFactory('tensorflow') == null) {
      rows.push(`${backend.padEnd(10)} (not installed: see docs/backend.md)`);
      continue;
    }
    // webgpu registers only once an adapter was found; initBackend says why not
    if (backend === 'webgpu') await initBackend({ prefer: 'webgpu', log: (m) => console.log(m) });
    else if (!(await tf.setBackend(backend))) throw new Error('failed to initialise');
  } catch (e) {
    rows.push(`${backend.padEnd(10)} (unavailable: ${(e as Error).message})`);
    continue;
  }
  for (const spec of nets) {
    const shape = shapeOf(spec);
    const S = shape[0] * shape[1] * shape[2];
    const model = createModel(spec, { inputShape: shape, numActions: A, seed: 1 });
    const rng = new Rng(1);
    const inf: number[] = [];
    for (const n of batches) {
      const obs = Uint8Array.from({ length: n * S }, () => rng.int(spec === 'minatar' ? 2 : 256));
      const actRng = new Rng(2);
      inf.push(n / (await timeIt(() => act(model, obs, n, { rng: actRng }), o.reps)));
    }
    const T = o.unroll;
    const B = backend === 'cpu' ? o.cpuBatch : o.batch;
    const step = await TrainStep.create(model, { unrollLength: T, batchSize: B, totalFrames: 1e9 });
    const batch = {
      obs: Uint8Array.from({ length: (T + 1) * B * S }, () => rng.int(spec === 'minatar' ? 2 : 256)),
      actions: Int32Array.from({ length: T * B }, () => rng.int(A)),
      rewards: Float32Array.from({ length: T * B }, () => rng.int(2)),
      dones: new Uint8Array(T * B),
      behaviourLogits: new Float32Array(T * B * A),
    };
    const trainS = await timeIt(() => step.step(batch), Math.max(1, Math.min(o.reps, backend === 'cpu' ? 1 : o.reps)));
    step.dispose();
    model.dispose();
    rows.push(
      `${backend.padEnd(10)} ${spec.padEnd(15)} ${inf.map((v) => v.toFixed(0).padStart(8)).join(' ')}   ${((T * B) / trainS).toFixed(0).padStart(8)}  (T=${T}, B=${B})`,
    );
  }
}
console.log(`backend    network         ${batches.map((b) => `b=${b}/s`.padStart(8)).join(' ')}   train frames/s`);
for (const r of rows) console.log(r);
