/**
 * Learner training frames/s (TrainStep: forward over T+1, V-trace, IMPALA loss, backward, clip,
 * RMSProp) of the MinAtar and IMPALA shallow nets with the native (OpenBLAS) kernels against the
 * wasm kernels, in one process, interleaved round by round, and against PyTorch (Debian's
 * python3-torch, same nets and loss, its BLAS as the system provides) driven in the same rounds.
 * Also the ceiling: OpenBLAS sgemm GFLOP/s (1024³, this thread count) over the FLOPs of one
 * trained frame (3 × forward FLOPs, the convention of issue 14). Medians of --rounds. "native, im2col
 * convs" is the native set with the implicit-GEMM conv kernels switched off (every conv by im2col +
 * sgemm, as before them), in the same rounds. Each update is timed to its end (clip and RMSProp
 * included; before 2026-12-02 the timer stopped at step()'s read-back, leaving those out).
 *
 * Run: npx tsx bench/native-kernels.ts [--rounds 5] [--threads 1] [--nets minatar,impala-shallow] [--python /usr/bin/python3]
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { initBackend, installNativeKernels, loadNativeBlas, uninstallNativeKernels } from '../src/backend/index.js';
import { parseIntArg } from '../src/cli/args.js';
import { TrainStep } from '../src/learner/train-step.js';
import { createModel, type NetworkSpec } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';
import { randomTrainBatch } from './lib/train-batch.js';

const o = new Command()
  .option('--rounds <n>', 'interleaved rounds (median reported)', parseIntArg('--rounds', 1), 5)
  .option('--threads <n>', 'threads for wasm, OpenBLAS and PyTorch', parseIntArg('--threads', 1), 1)
  .option('--nets <list>', 'networks', 'minatar,impala-shallow')
  .option('--python <path>', 'python with torch ("" skips the PyTorch peer)', '/usr/bin/python3')
  .parse()
  .opts<{ rounds: number; threads: number; nets: string; python: string }>();

const T = 20;
const B = 32;
const A = 6;
const SHAPES: Record<string, [number, number, number]> = { minatar: [10, 10, 4], 'impala-shallow': [84, 84, 4] };
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { addon, why } = loadNativeBlas();
if (addon == null) throw new Error(`bench/native-kernels: ${why}`);
const info = await initBackend({ prefer: 'native', threads: o.threads, log: () => {} });

/** A PyTorch process answering "<net> <reps>" with per-update seconds; null when unavailable. */
async function startTorch(): Promise<((net: string) => Promise<number>) | null> {
  if (o.python === '') return null;
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(o.threads), OMP_NUM_THREADS: String(o.threads) };
  const p = spawn(o.python, [new URL('./peers/pytorch_train.py', import.meta.url).pathname, String(o.threads)], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown> | null> => {
    const r = await lines.next();
    return r.done ? null : (JSON.parse(r.value as string) as Record<string, unknown>);
  };
  const ready = await next().catch(() => null);
  if (ready == null) {
    console.log(`PyTorch peer: unavailable (${o.python} without torch?)`);
    return null;
  }
  console.log(`PyTorch peer: torch ${String(ready.torch)}, ${String(ready.threads)} thread(s)`);
  process.on('exit', () => p.kill());
  return async (net) => {
    p.stdin.write(`${net} 1\n`);
    const r = await next();
    return (r!.seconds as number[])[0]!;
  };
}

function sgemmGflops(): number {
  const n = 1024;
  const heap = new Float32Array(3 * n * n);
  const rng = new Rng(3);
  for (let i = 0; i < 2 * n * n; i++) heap[i] = rng.normal();
  const t0 = performance.now();
  addon!.gemm(heap, 1, n, n, n, 0, 0, 0, 0, n * n, 0, 2 * n * n, -1, 0, 0, 0, -1, 0);
  return (2 * n ** 3) / ((performance.now() - t0) / 1000) / 1e9;
}

async function makeStep(spec: NetworkSpec) {
  const shape = SHAPES[spec]!;
  const model = createModel(spec, { inputShape: shape, numActions: A, seed: 1 });
  const step = await TrainStep.create(model, { unrollLength: T, batchSize: B, annealLearningRate: false });
  const rng = new Rng(1);
  const S = shape[0] * shape[1] * shape[2];
  const batch = randomTrainBatch(rng, T, B, A, S, spec === 'minatar');
  const flopsPerFrame = 3 * model.layers.reduce((s, l) => s + l.flops, 0);
  return { run: () => step.step(batch), flopsPerFrame };
}

const torch = await startTorch();
console.log(`backend: ${info.name} — ${info.detail}`);
console.log(`T=${T} B=${B} (${T * B} frames per update), ${o.rounds} interleaved rounds, medians`);
console.log(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${os.cpus().length} cores (shared machine: compare ratios, not absolutes)\n`,
);

for (const spec of o.nets.split(',') as NetworkSpec[]) {
  const s = await makeStep(spec);
  const per: Record<'native' | 'im2col' | 'wasm' | 'torch', number[]> = { native: [], im2col: [], wasm: [], torch: [] };
  const gflops: number[] = [];
  // the whole update, awaited: the clip and the RMSProp step run after step()'s one read-back
  const time = async (f: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await f();
    return (performance.now() - t0) / 1000;
  };
  uninstallNativeKernels();
  await s.run(); // warm-up on both kernel sets
  installNativeKernels(addon);
  await s.run();
  for (let r = 0; r < o.rounds; r++) {
    installNativeKernels(addon);
    per.native.push((T * B) / (await time(s.run)));
    addon.setDirectConv(0); // the same native kernels with every conv on im2col + sgemm
    per.im2col.push((T * B) / (await time(s.run)));
    addon.setDirectConv(1);
    uninstallNativeKernels();
    per.wasm.push((T * B) / (await time(s.run)));
    if (torch) per.torch.push((T * B) / (await torch(spec)));
    gflops.push(sgemmGflops());
  }
  installNativeKernels(addon);
  const fps = { native: median(per.native), im2col: median(per.im2col), wasm: median(per.wasm), torch: per.torch.length ? median(per.torch) : NaN };
  const ceiling = (median(gflops) * 1e9) / s.flopsPerFrame;
  const fmt = (v: number[]): string => v.map((x) => x.toFixed(0)).join(' / ');
  console.log(
    `${spec}: ${(s.flopsPerFrame / 1e6).toFixed(2)} MFLOP per trained frame; sgemm ${median(gflops).toFixed(1)} GFLOP/s → ceiling ${ceiling.toFixed(0)} frames/s`,
  );
  console.log(
    `  native  ${fmt(per.native)} frames/s  median ${fps.native.toFixed(0)}  = ${(fps.native / fps.wasm).toFixed(2)}× wasm, ${(fps.native / fps.torch).toFixed(2)}× PyTorch, ${((100 * fps.native) / ceiling).toFixed(0)}% of ceiling`,
  );
  console.log(
    `  native, im2col convs ${fmt(per.im2col)} frames/s  median ${fps.im2col.toFixed(0)}  (implicit-GEMM convs: ${(fps.native / fps.im2col).toFixed(2)}×), ${((100 * fps.im2col) / ceiling).toFixed(0)}% of ceiling`,
  );
  console.log(`  wasm    ${fmt(per.wasm)} frames/s  median ${fps.wasm.toFixed(0)}  = ${((100 * fps.wasm) / ceiling).toFixed(0)}% of ceiling`);
  if (torch) console.log(`  PyTorch ${fmt(per.torch)} frames/s  median ${fps.torch.toFixed(0)}  = ${((100 * fps.torch) / ceiling).toFixed(0)}% of ceiling`);
  console.log('');
}
process.exit(0);
