/**
 * Feature codecs per network and split point: bytes per step (one env's feature) and the rate
 * against float32, on real features (random-policy frames through the network at its seeded init),
 * and the actor-side encode / learner-side decode time as a ratio to the head's own compute
 * (layers 1..y on the same batch, timed interleaved in this process: a loaded machine slows both).
 * Deflate codecs' sizes depend on the data: the numbers here are for untrained features, which
 * bench/codec-return.ts's trained runs do not change the method of; re-measure for your policy.
 *
 * Run: npx tsx bench/codec.ts [--runs 5] [--batch 32] [--out bench/results/codec.json]
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { initBackend, readFloats } from '../src/backend/index.js';
import { codedBytes, FeatureCodec, parseCodec, updateRange, EMPTY_RANGE } from '../src/codec/index.js';
import { makeEnv } from '../src/env/index.js';
import { createModel, headActivations, type NetworkSpec } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';

const CODECS = ['f32', 'f32z', 'f16', 'q8', 'q8z', 'q4', 'q2', 'q1', 'ae8q8', 'ae8q4', 'ae4q4', 'ae4q2', 'ae2q2'];
const NETS: { spec: NetworkSpec; env: string }[] = [
  { spec: 'minatar', env: 'minatar/breakout' },
  { spec: 'impala-shallow', env: 'minatar-pixels/breakout' },
  { spec: 'impala-deep', env: 'minatar-pixels/breakout' },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function frames(envId: string, n: number, seed: number): { obs: Uint8Array; shape: [number, number, number] } {
  const env = makeEnv(envId, { seed });
  const rng = new Rng(seed);
  const size = env.observationShape.reduce((a, b) => a * b, 1);
  const obs = new Uint8Array(n * size);
  let o = env.reset(seed);
  for (let i = 0; i < n; i++) {
    // skip ahead so the batch spans an episode, not n copies of its first frame
    for (let k = 0; k < 5; k++) {
      const r = env.step(Math.floor(rng.random() * env.numActions));
      o = r.terminated || r.truncated ? env.reset() : r.observation;
    }
    obs.set(o, i * size);
  }
  return { obs, shape: env.observationShape as [number, number, number] };
}

function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const o = new Command()
    .option('--runs <n>', 'timed repetitions (median)', '5')
    .option('--batch <n>', 'envs per step', '32')
    .option('--out <file>')
    .parse()
    .opts();
  const runs = Number(o.runs);
  const n = Number(o.batch);
  await initBackend({ log: () => {} });
  const rows: Record<string, unknown>[] = [];
  for (const { spec, env } of NETS) {
    const { obs, shape } = frames(env, n, 1);
    const model = createModel(spec, { inputShape: shape, numActions: 4, seed: 1 });
    for (let y = 1; y < model.K; y++) {
      const fshape = model.layers[y - 1].outShape;
      const ch = fshape[fshape.length - 1];
      const h = await headActivations(model, obs, n, y);
      for (const id of CODECS) {
        const s = parseCodec(id);
        if (s.channels !== undefined && s.channels >= ch) continue;
        const codec = new FeatureCodec(s, fshape, { seed: 3 });
        if (s.kind === 'quant')
          codec.range = updateRange(
            EMPTY_RANGE,
            readFloats(() => codec.encodeTensor(tf.tensor(h, [n, ...fshape]))),
          );
        let coded = codec.encode(h, n);
        codec.decode(coded, n); // warm-up
        const head: number[] = [];
        const enc: number[] = [];
        const dec: number[] = [];
        for (let r = 0; r < runs; r++) {
          const t0 = performance.now();
          await headActivations(model, obs, n, y);
          head.push(performance.now() - t0);
          enc.push(timeMs(() => (coded = codec.encode(h, n))));
          dec.push(timeMs(() => codec.decode(coded, n)));
        }
        const back = codec.decode(coded, n);
        let se = 0;
        let energy = 0;
        for (let i = 0; i < h.length; i++) {
          se += (back[i] - h[i]) ** 2;
          energy += h[i] ** 2;
        }
        const f32 = 4 * fshape.reduce((a, b) => a * b, 1);
        const bytes = coded.bytes.length / n;
        rows.push({
          network: spec,
          y,
          shape: fshape,
          codec: id,
          bytesPerStep: bytes,
          bound: codedBytes(s, fshape),
          rate: f32 / bytes,
          obsBytes: shape[0] * shape[1] * shape[2],
          relError: energy > 0 ? se / energy : 0,
          encodeOverHead: median(enc) / median(head),
          decodeOverHead: median(dec) / median(head),
          headMs: median(head),
        });
        codec.dispose();
      }
    }
    model.dispose();
  }
  const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
  console.log(`batch ${n} envs, median of ${runs}; times are ratios to the head (layers 1..y) on the same batch`);
  console.log('network          y  shape        codec   B/step    rate   vs obs  rel.err  enc/head  dec/head');
  for (const r of rows) {
    console.log(
      `${String(r.network).padEnd(15)} ${String(r.y).padStart(2)}  ${(r.shape as number[]).join('×').padEnd(11)} ${String(r.codec).padEnd(6)} ${fmt(r.bytesPerStep as number, 1).padStart(8)} ${fmt(r.rate as number, 1).padStart(7)} ${fmt((r.bytesPerStep as number) / (r.obsBytes as number)).padStart(7)}  ${fmt(r.relError as number, 4).padStart(7)}  ${fmt(r.encodeOverHead as number).padStart(8)}  ${fmt(r.decodeOverHead as number).padStart(8)}`,
    );
  }
  if (o.out) writeFileSync(o.out as string, JSON.stringify({ batch: n, runs, rows }, null, 2) + '\n');
}

await main();
