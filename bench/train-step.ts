/**
 * Time of one learner update (TrainStep.step: forward over T+1 steps, V-trace, IMPALA loss,
 * backward, clip, RMSProp) for a network and batch size, on the chosen backend. Median of --reps
 * after one untimed warm-up step. Observations are fixed pseudo-random frames.
 *
 * With --codec the update also trains a feature codec at --codec-split through the model (as the
 * learner does for coded splits: joint, reconstruction weight 1), so its cost per update shows.
 *
 * Run: npx tsx bench/train-step.ts [--backend wasm] [--model impala-shallow] [--unroll 20] [--batch 32] [--micro 0] [--reps 3]
 *        [--codec ae4q4 --codec-split 1]
 */
import { Command, InvalidArgumentError } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendPreference } from '../src/backend/index.js';
import { parseIntArg } from '../src/cli/args.js';
import { FeatureCodec } from '../src/codec/index.js';
import { CodecTrainer, DEFAULT_CODEC_TRAINING } from '../src/learner/codec-training.js';
import { resolveLearnerHyperParams } from '../src/learner/hyperparams.js';
import { TrainStep } from '../src/learner/train-step.js';
import { createModel, NETWORK_SPECS, type NetworkSpec } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';

const program = new Command()
  .option('--backend <name>', 'auto | native | tensorflow | webgpu | wasm | cpu', 'wasm')
  .option(
    '--model <spec>',
    NETWORK_SPECS.join(' | '),
    (v: string) => {
      if (!(NETWORK_SPECS as readonly string[]).includes(v)) throw new InvalidArgumentError(`use one of ${NETWORK_SPECS.join(', ')}`);
      return v;
    },
    'impala-shallow',
  )
  .option('--unroll <n>', 'T', parseIntArg('--unroll', 1), 20)
  .option('--batch <n>', 'B', parseIntArg('--batch', 1), 32)
  .option('--micro <n>', 'micro-batch columns (0 = whole batch)', parseIntArg('--micro', 0), 0)
  .option('--actions <n>', 'A', parseIntArg('--actions', 1), 6)
  .option('--reps <n>', 'timed steps (median reported)', parseIntArg('--reps', 1), 3)
  .option('--codec <id>', 'also train this feature codec in the update (e.g. ae4q4)')
  .option('--codec-split <y>', 'split point of --codec', parseIntArg('--codec-split', 1), 1)
  .parse();
const o = program.opts<{
  backend: BackendPreference;
  model: NetworkSpec;
  unroll: number;
  batch: number;
  micro: number;
  actions: number;
  reps: number;
  codec?: string;
  codecSplit: number;
}>();

const info = await initBackend({ prefer: o.backend, log: () => {} });
const shape: [number, number, number] = o.model === 'minatar' ? [10, 10, 4] : [84, 84, 4];
const [T, B, A] = [o.unroll, o.batch, o.actions];
const S = shape[0] * shape[1] * shape[2];
const model = createModel(o.model, { inputShape: shape, numActions: A, seed: 1 });
const step = await TrainStep.create(model, { unrollLength: T, batchSize: B, microBatchSize: o.micro, annealLearningRate: false });
if (o.codec) {
  const codec = new FeatureCodec(o.codec, model.layers[o.codecSplit - 1].outShape);
  step.attachCodec(new CodecTrainer(model, codec, o.codecSplit, DEFAULT_CODEC_TRAINING, resolveLearnerHyperParams({})));
}
const rng = new Rng(1);
const obs = new Uint8Array((T + 1) * B * S);
for (let i = 0; i < obs.length; i++) obs[i] = o.model === 'minatar' ? (rng.random() < 0.1 ? 1 : 0) : rng.int(256);
const batch = {
  obs,
  actions: Int32Array.from({ length: T * B }, () => rng.int(A)),
  rewards: Float32Array.from({ length: T * B }, () => (rng.random() < 0.05 ? 1 : 0)),
  dones: Uint8Array.from({ length: T * B }, () => (rng.random() < 0.01 ? 1 : 0)),
  behaviourLogits: Float32Array.from({ length: T * B * A }, () => rng.normal() * 0.1),
};
await step.step(batch);
const times: number[] = [];
for (let r = 0; r < o.reps; r++) {
  const t0 = performance.now();
  await step.step(batch);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const med = times[Math.floor(times.length / 2)];
console.log(
  `${info.name} (${info.detail}) ${o.model} T=${T} B=${B} micro=${o.micro}${o.codec ? ` codec ${o.codec}@${o.codecSplit}` : ''}: ` +
    `median ${med.toFixed(0)} ms per update, ${((T * B * 1000) / med).toFixed(0)} frames/s, tensors ${tf.memory().numTensors}`,
);
