/**
 * Before/after of the async learner update on one backend: TrainStep (statistics and gradient norm
 * read back once per update; V-trace where --vtrace says, by default in JS on wasm) against SyncTrainStep (bench/baseline: V-trace in JS on outputs read back
 * with dataSync in every micro-batch), on the same network, batch and seed, interleaved in one
 * process — each round times one update of each, in alternating order — so a busy neighbour slows
 * both alike. Prints both medians and the median of the per-round ratios (async / sync), of wall time
 * and of this process's CPU time (steadier on a shared machine: single-threaded wasm is CPU-bound).
 *
 * Run: npx tsx bench/train-step-async.ts [--backend wasm] [--model minatar] [--unroll 20] [--batch 32] [--micro 0] [--vtrace auto] [--rounds 9]
 */
import { Command } from 'commander';
import { initBackend, type BackendPreference } from '../src/backend/index.js';
import { parseIntArg } from '../src/cli/args.js';
import { TrainStep } from '../src/learner/train-step.js';
import type { VtraceOn } from '../src/learner/vtrace-inputs.js';
import { createModel, NETWORK_SPECS, type NetworkSpec } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';
import { SyncTrainStep } from './baseline/train-step-sync.js';
import { randomTrainBatch } from './lib/train-batch.js';

const o = new Command()
  .option('--backend <name>', 'auto | webgpu | wasm | cpu', 'wasm')
  .option('--model <spec>', NETWORK_SPECS.join(' | '), 'minatar')
  .option('--unroll <n>', 'T', parseIntArg('--unroll', 1), 20)
  .option('--batch <n>', 'B', parseIntArg('--batch', 1), 32)
  .option('--micro <n>', 'micro-batch columns (0 = whole batch)', parseIntArg('--micro', 0), 0)
  .option('--vtrace <on>', 'where the async TrainStep runs V-trace: auto | host | backend (auto: host on wasm)', 'auto')
  .option('--rounds <n>', 'timed rounds (one update of each per round)', parseIntArg('--rounds', 1), 9)
  .parse()
  .opts<{ backend: BackendPreference; model: NetworkSpec; unroll: number; batch: number; micro: number; rounds: number; vtrace: VtraceOn }>();

const info = await initBackend({ prefer: o.backend, log: () => {} });
const shape: [number, number, number] = o.model === 'minatar' ? [10, 10, 4] : [84, 84, 4];
const [T, B, A] = [o.unroll, o.batch, 6];
const S = shape[0] * shape[1] * shape[2];
const rng = new Rng(1);
const batch = randomTrainBatch(rng, T, B, A, S, o.model === 'minatar');
const hp = { unrollLength: T, batchSize: B, microBatchSize: o.micro, annealLearningRate: false };
const asyncStep = await TrainStep.create(createModel(o.model, { inputShape: shape, numActions: A, seed: 1 }), hp, o.vtrace);
const syncStep = await SyncTrainStep.create(createModel(o.model, { inputShape: shape, numActions: A, seed: 1 }), hp);
/** Wall and CPU milliseconds of one update (CPU time: this process only, so a busy neighbour sways it less). */
type Times = { wall: number; cpu: number };
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const timeAsync = async (): Promise<Times> => {
  const [t0, c0] = [performance.now(), cpuMs()];
  await asyncStep.step(batch);
  return { wall: performance.now() - t0, cpu: cpuMs() - c0 };
};
const timeSync = (): Times => {
  const [t0, c0] = [performance.now(), cpuMs()];
  syncStep.step(batch);
  return { wall: performance.now() - t0, cpu: cpuMs() - c0 };
};
await timeAsync(); // warm-up: kernels, first allocations
timeSync();
const a: Times[] = [];
const s: Times[] = [];
for (let r = 0; r < o.rounds; r++) {
  if (r % 2 === 0) {
    a.push(await timeAsync());
    s.push(timeSync());
  } else {
    s.push(timeSync());
    a.push(await timeAsync());
  }
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const line = (k: keyof Times): string => {
  const ratios = a.map((t, i) => t[k] / s[i][k]);
  return (
    `${k}: async ${median(a.map((t) => t[k])).toFixed(1)} ms, sync ${median(s.map((t) => t[k])).toFixed(1)} ms per update, ` +
    `async/sync median of per-round ratios ${median(ratios).toFixed(3)} (quartiles ${[...ratios].sort((x, y) => x - y)[o.rounds >> 2].toFixed(2)}–${[...ratios].sort((x, y) => x - y)[(3 * o.rounds) >> 2].toFixed(2)})`
  );
};
console.log(`${info.name} (${info.detail}) ${o.model} T=${T} B=${B} micro=${o.micro} vtrace=${o.vtrace}, ${o.rounds} interleaved rounds`);
console.log(`  ${line('wall')}`);
console.log(`  ${line('cpu')}`);
