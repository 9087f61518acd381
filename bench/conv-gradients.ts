/**
 * Each conv kernel of the IMPALA shallow net (conv1 8×8/4 on 84×84×4, conv2 4×4/2 on 20×20×16) at
 * 672 images (T+1 = 21 steps × B = 32): the forward Conv2D and both gradients, on the wasm
 * kernels and on the native (OpenBLAS) ones, interleaved; medians of --reps, and each gradient as a
 * multiple of its own forward (the figure issue 14 tracks: ideally ≈ 1×).
 *
 * Run: npx tsx bench/conv-gradients.ts [--reps 5] [--images 672]
 */
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { initBackend, installNativeKernels, loadNativeBlas, uninstallNativeKernels } from '../src/backend/index.js';
import { parseIntArg } from '../src/cli/args.js';
import { Rng } from '../src/util/rng.js';

const o = new Command()
  .option('--reps <n>', 'timed runs per kernel (median)', parseIntArg('--reps', 1), 5)
  .option('--images <n>', 'batch of images', parseIntArg('--images', 1), 672)
  .parse()
  .opts<{ reps: number; images: number }>();

const { addon, why } = loadNativeBlas();
await initBackend({ prefer: addon ? 'native' : 'wasm', log: () => {} });
if (!addon) console.log(`(native kernels skipped: ${why})`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rng = new Rng(1);
const rand = (shape: number[]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
    shape,
  );

const N = o.images;
const convs: Array<{ name: string; x: number[]; f: [number, number, number, number]; s: number }> = [
  { name: 'conv1 8×8/4, 84×84×4 → 20×20×16', x: [N, 84, 84, 4], f: [8, 8, 4, 16], s: 4 },
  { name: 'conv2 4×4/2, 20×20×16 → 9×9×32', x: [N, 20, 20, 16], f: [4, 4, 16, 32], s: 2 },
];
const sets = addon ? ['wasm', 'native'] : ['wasm'];
console.log(`${N} images, median of ${o.reps}, interleaved (shared machine: read the ratios)`);
for (const c of convs) {
  const x = rand(c.x) as tf.Tensor4D;
  const f = rand(c.f) as tf.Tensor4D;
  const dy = rand(tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.f, c.s, 1, 'valid').outShape) as tf.Tensor4D;
  const kernels: Record<string, () => tf.Tensor> = {
    forward: () => tf.conv2d(x, f, c.s, 'valid'),
    'filter grad': () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.s, pad: 'valid', dataFormat: 'NHWC', filterShape: c.f }) as tf.Tensor,
    'input grad': () => tf.conv2dTranspose(dy, f, c.x as [number, number, number, number], c.s, 'valid'),
  };
  const ms: Record<string, number[]> = {};
  for (let r = 0; r <= o.reps; r++) {
    for (const set of sets) {
      if (set === 'native') installNativeKernels(addon!);
      else uninstallNativeKernels();
      for (const [k, run] of Object.entries(kernels)) {
        const t0 = performance.now();
        const y = run();
        y.dataSync();
        const t = performance.now() - t0;
        y.dispose();
        if (r > 0) (ms[`${set} ${k}`] ??= []).push(t); // r = 0 warms up
      }
    }
  }
  console.log(c.name);
  for (const set of sets) {
    const fwd = median(ms[`${set} forward`]!);
    const row = Object.keys(kernels).map((k) => {
      const m = median(ms[`${set} ${k}`]!);
      return `${k} ${m.toFixed(0)} ms (${(m / fwd).toFixed(2)}×)`;
    });
    console.log(`  ${set.padEnd(7)} ${row.join('   ')}`);
  }
  tf.dispose([x, f, dy]);
}
