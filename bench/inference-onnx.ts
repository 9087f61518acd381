/**
 * Inference throughput (samples/s: uint8 observations → logits, values and a greedy action) at
 * several batch sizes, four ways, interleaved in one process, medians of --rounds:
 *   tfjs     — act() on tfjs (wasm, 1 thread)
 *   ours     — OnnxPolicyRunner (onnxruntime-node, 1 intra-op thread; weights as graph inputs)
 *   ours+rd  — the same, re-reading every weight before every call (a parameter update per batch:
 *              the learner's worst case)
 *   ort      — a plain onnxruntime session on the same graph, weights converted once and fed
 *   baked    — OnnxPolicyRunner with weights: 'baked' (initializers; what eval uses)
 *   ort-init — a plain session on the same graph with the weights baked in as initializers (what an
 *              exported model is; lets onnxruntime pre-pack them, but needs a rebuild per update)
 * Ratios: ours/ort and baked/ort-init (goal ≥ 1.0: our wrapping adds nothing), ours/ort-init (the
 * price of feeding weights as inputs), ours/tfjs and baked/tfjs (the speedup over tfjs).
 *
 * Usage: node --expose-gc --import tsx bench/inference-onnx.ts [--nets minatar,impala-shallow]
 *          [--batches 1,8,32,64] [--rounds 3] [--min-ms 300]
 * (--expose-gc: a full collection before each measurement, so no contender pays for another's garbage;
 * the order of the contenders is shuffled every round.)
 */
import { Command } from 'commander';
import type * as Ort from 'onnxruntime-node';
import { initBackend } from '../src/backend/index.js';
import { act, argmaxRows, buildSegmentGraph, createModel, loadOnnxRuntime, type NetworkSpec, OnnxPolicyRunner, type PolicyModel } from '../src/model/index.js';
import { toGraphLayout } from '../src/model/onnx-graph.js';
import { Rng } from '../src/util/rng.js';

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const o = new Command()
  .option('--nets <list>', 'networks (impala-deep is slow on tfjs)', list, ['minatar', 'impala-shallow'])
  .option('--batches <list>', 'batch sizes', (v) => list(v).map(Number), [1, 8, 32, 64])
  .option('--rounds <n>', 'interleaved rounds (median reported)', Number, 3)
  .option('--min-ms <ms>', 'time per measurement', Number, 300)
  .parse()
  .opts<{ nets: NetworkSpec[]; batches: number[]; rounds: number; minMs: number }>();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Samples/s of `fn` on batches of n, run for at least minMs after one warm-up call. */
async function rate(fn: () => Promise<unknown>, n: number): Promise<number> {
  await fn();
  // Collect the previous contender's garbage now rather than inside this one's timing (--expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < o.minMs) {
    await fn();
    calls++;
  }
  return (calls * n) / ((performance.now() - t0) / 1000);
}

const SHAPES: Record<NetworkSpec, [number, number, number]> = {
  minatar: [10, 10, 4],
  'impala-shallow': [84, 84, 4],
  'impala-deep': [84, 84, 4],
  'impala-shallow-fc2': [84, 84, 4],
};
const SESSION: Ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };

async function plainSessions(
  ort: typeof Ort,
  model: PolicyModel,
): Promise<{ fed: Ort.InferenceSession; weights: Record<string, Ort.Tensor>; init: Ort.InferenceSession }> {
  const read = (b: Parameters<typeof toGraphLayout>[1]): Float32Array => toGraphLayout(model.layerVariables(b.layer)[b.param].dataSync() as Float32Array, b);
  const g = buildSegmentGraph(model, 0, model.K);
  const weights: Record<string, Ort.Tensor> = {};
  for (const b of g.weights) weights[b.name] = new ort.Tensor('float32', read(b), [...b.shape]);
  const fed = await ort.InferenceSession.create(g.bytes, SESSION);
  const init = await ort.InferenceSession.create(buildSegmentGraph(model, 0, model.K, read).bytes, SESSION);
  return { fed, weights, init };
}

await initBackend({ prefer: 'wasm', threads: 1, log: () => {} });
const loaded = loadOnnxRuntime();
if ('reason' in loaded) throw new Error(loaded.reason);
const ort = loaded.ort;
console.log(`tfjs wasm (1 thread) vs onnxruntime-node ${loaded.version} (1 intra-op thread); samples/s, median of ${o.rounds} interleaved rounds`);
console.log('network         batch     tfjs     ours  ours+rd    baked      ort  ort-init  ours/ort  baked/ort-init  ours/ort-init  ours/tfjs  baked/tfjs');
for (const spec of o.nets) {
  const shape = SHAPES[spec];
  const model = createModel(spec, { inputShape: shape, numActions: 6, seed: 1 });
  const runner = new OnnxPolicyRunner(ort, model, 1, loaded.version);
  const baked = new OnnxPolicyRunner(ort, model, 1, loaded.version, 'baked');
  const plain = await plainSessions(ort, model);
  for (const n of o.batches) {
    const rng = new Rng(n);
    const obs = Uint8Array.from({ length: n * model.inputBytes }, () => rng.int(spec === 'minatar' ? 2 : 256));
    const out = new Int32Array(n);
    const plainRun = async (s: Ort.InferenceSession, feeds: Record<string, Ort.Tensor>): Promise<void> => {
      const r = await s.run({ ...feeds, input: new ort.Tensor('uint8', obs, [n, ...shape]) });
      argmaxRows(r[s.outputNames[0]].data as Float32Array, n, model.numActions, out);
    };
    const contenders: Record<string, () => Promise<unknown>> = {
      tfjs: () => Promise.resolve(act(model, obs, n, { mode: 'greedy', out })),
      ours: () => runner.act(obs, n, { mode: 'greedy', out }),
      'ours+rd': () => {
        model.markUpdated();
        return runner.act(obs, n, { mode: 'greedy', out });
      },
      baked: () => baked.act(obs, n, { mode: 'greedy', out }),
      ort: () => plainRun(plain.fed, plain.weights),
      'ort-init': () => plainRun(plain.init, {}),
    };
    const names = Object.keys(contenders);
    const got: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    for (let r = 0; r < o.rounds; r++) {
      // A new order each round (seeded), so no contender always runs first or after the same one.
      const order = [...names];
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const name of order) got[name].push(await rate(contenders[name], n));
    }
    const m = Object.fromEntries(names.map((k) => [k, median(got[k])]));
    const f = (v: number): string => v.toFixed(0).padStart(8);
    const ratio = (a: number, b: number, w: number): string => (a / b).toFixed(2).padStart(w);
    console.log(
      `${spec.padEnd(15)} ${String(n).padStart(5)} ${f(m.tfjs)} ${f(m.ours)} ${f(m['ours+rd'])} ${f(m.baked)} ${f(m.ort)}  ${f(m['ort-init'])}` +
        `  ${ratio(m.ours, m.ort, 8)}  ${ratio(m.baked, m['ort-init'], 14)}  ${ratio(m.ours, m['ort-init'], 13)}  ${ratio(m.ours, m.tfjs, 9)}  ${ratio(m.baked, m.tfjs, 10)}`,
    );
  }
  runner.dispose();
  baked.dispose();
  await plain.fed.release();
  await plain.init.release();
  model.dispose();
}
