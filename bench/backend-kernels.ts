// Time of one forward+backward RMSProp step on 640 frames for the IMPALA shallow net (84x84x4)
// and the MinAtar net (10x10x4): wasm with the shipped kernels (plus our Conv2DBackpropFilter,
// which wasm lacks, so that it can train at all) vs wasm with all our kernels vs the cpu backend.
// Median of --reps steps after one warm-up step. Run: npx tsx bench/backend-kernels.ts
// The cpu backend needs minutes per IMPALA step at 640 frames: --cpu-frames runs it on fewer
// frames and the table scales its time per frame up to --frames (marked "scaled").
import os from 'node:os';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, registerWasmTrainingKernels, restoreShippedWasmKernels } from '../src/backend/index.js';
import { parseIntArg } from '../src/cli/args.js';
import { Rng } from '../src/util/rng.js';

const program = new Command()
  .option('--frames <n>', 'frames per training batch', parseIntArg('--frames', 1), 640)
  .option('--reps <n>', 'timed steps per configuration (median reported)', parseIntArg('--reps', 1), 5)
  .option('--cpu-reps <n>', 'timed steps on the cpu backend (slow; 0 skips it)', parseIntArg('--cpu-reps', 0), 5)
  .option('--cpu-frames <n>', 'frames per step on the cpu backend (default: --frames)', parseIntArg('--cpu-frames', 1))
  .option('--threads <n>', 'wasm thread count', parseIntArg('--threads', 1))
  .option('--actions <n>', 'number of actions A (heads: A logits + 1 value)', parseIntArg('--actions', 1), 6)
  .parse();
const opt = program.opts<{ frames: number; reps: number; cpuReps: number; cpuFrames?: number; threads?: number; actions: number }>();
const cpuFrames = opt.cpuFrames ?? opt.frames;

interface Net {
  name: string;
  inShape: [number, number, number];
  params: () => tf.Variable[];
  forward: (x: tf.Tensor4D, p: tf.Variable[]) => tf.Tensor2D;
}

function glorot(rng: Rng, shape: number[], fanIn: number): Float32Array {
  const n = shape.reduce((a, b) => a * b);
  const a = new Float32Array(n);
  const s = Math.sqrt(2 / fanIn);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * s;
  return a;
}

function makeParams(seed: number, shapes: Array<[number[], number]>): () => tf.Variable[] {
  return () => {
    const rng = new Rng(seed);
    return shapes.map(([shape, fanIn]) =>
      tf.variable(tf.tensor(fanIn > 0 ? glorot(rng, shape, fanIn) : new Float32Array(shape.reduce((a, b) => a * b)), shape)),
    );
  };
}

const A = opt.actions;
const impala: Net = {
  name: 'IMPALA shallow 84x84x4',
  inShape: [84, 84, 4],
  params: makeParams(1, [
    [[8, 8, 4, 16], 256],
    [[16], 0],
    [[4, 4, 16, 32], 256],
    [[32], 0],
    [[9 * 9 * 32, 256], 2592],
    [[256], 0],
    [[256, A + 1], 256],
    [[A + 1], 0],
  ]),
  forward: (x, p) => {
    let h: tf.Tensor = tf.relu(tf.add(tf.conv2d(x, p[0] as tf.Tensor4D, 4, 'valid'), p[1]!));
    h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, p[2] as tf.Tensor4D, 2, 'valid'), p[3]!));
    h = tf.reshape(h, [x.shape[0], 9 * 9 * 32]);
    h = tf.relu(tf.add(tf.matMul(h as tf.Tensor2D, p[4] as tf.Tensor2D), p[5]!));
    return tf.add(tf.matMul(h as tf.Tensor2D, p[6] as tf.Tensor2D), p[7]!) as tf.Tensor2D;
  },
};
const minatar: Net = {
  name: 'MinAtar 10x10x4',
  inShape: [10, 10, 4],
  params: makeParams(2, [
    [[3, 3, 4, 16], 36],
    [[16], 0],
    [[8 * 8 * 16, 128], 1024],
    [[128], 0],
    [[128, A + 1], 128],
    [[A + 1], 0],
  ]),
  forward: (x, p) => {
    let h: tf.Tensor = tf.relu(tf.add(tf.conv2d(x, p[0] as tf.Tensor4D, 1, 'valid'), p[1]!));
    h = tf.reshape(h, [x.shape[0], 8 * 8 * 16]);
    h = tf.relu(tf.add(tf.matMul(h as tf.Tensor2D, p[2] as tf.Tensor2D), p[3]!));
    return tf.add(tf.matMul(h as tf.Tensor2D, p[4] as tf.Tensor2D), p[5]!) as tf.Tensor2D;
  },
};

/** Policy cross-entropy on random actions plus value regression: the shape of an actor-critic loss. */
function loss(out: tf.Tensor2D, actions: tf.Tensor1D, returns: tf.Tensor1D): tf.Scalar {
  const [logits, value] = tf.split(out, [A, 1], 1) as [tf.Tensor2D, tf.Tensor2D];
  const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(actions, A), logits);
  const v = tf.mean(tf.square(tf.sub(tf.reshape(value, [-1]), returns)));
  return tf.add(ce, tf.mul(0.5, v)) as tf.Scalar;
}

async function timeSteps(net: Net, reps: number, n = opt.frames): Promise<number> {
  const rng = new Rng(7);
  const [h, w, c] = net.inShape;
  const xs = new Float32Array(n * h * w * c);
  for (let i = 0; i < xs.length; i++) xs[i] = rng.random() < 0.3 ? 1 : 0;
  const act = Int32Array.from({ length: n }, () => rng.int(A));
  const ret = Float32Array.from({ length: n }, () => rng.normal());
  const x = tf.tensor4d(xs, [n, h, w, c]);
  const actions = tf.tensor1d(act, 'int32');
  const returns = tf.tensor1d(ret);
  const params = net.params();
  const optimizer = tf.train.rmsprop(6e-4, 0.99, 0, 0.01);
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    const l = optimizer.minimize(() => loss(net.forward(x, params), actions, returns), true, params);
    await l!.data();
    l!.dispose();
    if (r > 0) times.push(performance.now() - t0); // r = 0 is the warm-up
  }
  tf.dispose([x, actions, returns, ...params]);
  optimizer.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const info = await initBackend({ prefer: 'wasm', threads: opt.threads, log: () => {} });
console.log(`backend: ${info.name} — ${info.detail}`);
console.log(`frames per step: ${opt.frames}; median of ${opt.reps} steps (cpu: ${opt.cpuReps} at ${cpuFrames} frames) after 1 warm-up`);
console.log(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${os.cpus().length} cores\n`,
);

for (const net of [minatar, impala]) {
  const rows: Array<[string, number]> = [];
  await tf.setBackend('wasm');
  restoreShippedWasmKernels();
  registerWasmTrainingKernels(['Conv2DBackpropFilter']);
  rows.push(['wasm, shipped kernels (+ our missing Conv2DBackpropFilter)', await timeSteps(net, opt.reps)]);
  registerWasmTrainingKernels();
  rows.push(['wasm, coknight kernels', await timeSteps(net, opt.reps)]);
  if (opt.cpuReps > 0) {
    await tf.setBackend('cpu');
    const ms = await timeSteps(net, opt.cpuReps, cpuFrames);
    const scaled = cpuFrames !== opt.frames ? ` (${cpuFrames} frames, scaled)` : '';
    rows.push([`cpu backend${scaled}`, (ms * opt.frames) / cpuFrames]);
    await tf.setBackend('wasm');
  }
  const ours = rows[1]![1];
  console.log(net.name);
  for (const [name, ms] of rows) {
    console.log(
      `  ${name.padEnd(62)} ${ms.toFixed(0).padStart(7)} ms/step  ${(opt.frames / (ms / 1000)).toFixed(0).padStart(6)} frames/s  ${(ms / ours).toFixed(2).padStart(6)}× ours`,
    );
  }
  console.log('');
}
