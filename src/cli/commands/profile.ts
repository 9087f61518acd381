import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { initBackend } from '../../backend/index.js';
import { makeEnv } from '../../env/index.js';
import { createModel, NETWORK_SPECS, type NetworkSpec, networkSpecFromName, resolveNetworkSpec } from '../../model/index.js';
import { parseBandwidth } from '../../transport/index.js';
import { TaskProgress } from '../../run/task-progress.js';
import { parseIntArg } from '../args.js';
import { profileSite } from './site.js';

export interface LayerProfile {
  readonly name: string;
  readonly flops: number;
  readonly outBytes: number;
  /** Median seconds of this layer alone at the profiled batch size. */
  readonly seconds: number;
}

/**
 * Times layers 1..k for every k (median of `reps` after a warm-up) and takes differences, so each
 * layer's time includes what running it after the previous ones really costs on this device.
 */
export async function profileLayers(
  spec: NetworkSpec,
  inputShape: [number, number, number],
  numActions: number,
  batch: number,
  reps: number,
  /** Called after each of the K timings (layers 1..k), for a progress display. */
  onLayer?: (k: number, K: number) => void,
): Promise<LayerProfile[]> {
  const model = createModel(spec, { inputShape, numActions });
  const x = tf.zeros([batch, ...inputShape]);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const cumulative: number[] = [0];
  try {
    for (let k = 1; k <= model.K; k++) {
      // layer K carries the heads: time the full forward pass there (up to its read-back: async, for webgpu)
      const run = async (): Promise<void> => {
        const out = tf.tidy(() => (k === model.K ? model.forward(x).logits : model.head(x, k)));
        await out.data();
        out.dispose();
      };
      await run();
      const ts: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        await run();
        ts.push((performance.now() - t0) / 1000);
      }
      cumulative.push(Math.max(median(ts), cumulative[k - 1]));
      onLayer?.(k, model.K);
    }
    return model.layers.map((l, i) => ({ name: l.name, flops: l.flops * batch, outBytes: l.outBytes, seconds: cumulative[i + 1] - cumulative[i] }));
  } finally {
    x.dispose();
    model.dispose();
  }
}

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('measure this device for the partition planner: per-layer time, effective FLOP/s, and the actor part of an instance')
    .option('--env <id>', 'environment (fixes the input shape and action count)', 'minatar/breakout')
    .option('--model <spec>', `auto | ${NETWORK_SPECS.join(' | ')}`, 'auto')
    .option('--batch <n>', 'samples per forward pass (an actor steps this many envs together)', parseIntArg('--batch', 1), 1)
    .option('--reps <n>', 'timed repetitions per layer (median)', parseIntArg('--reps', 3), 30)
    .option('--id <name>', 'actor id in the instance', `actor-${process.pid}`)
    .option('--link <rate>', "this device's link to the learner, e.g. '10MB/s' (measured links: use your tool of choice)", 'unlimited')
    .option('--rom-dir <dir>', 'Atari ROM directory')
    .option('--out <file>', 'write the instance part as JSON here')
    .option('--json', 'print JSON only')
    .option('--site', 'measure a cooperative-inference site instead: every layer at every slice height, per --devices class')
    .option('--devices <list>', "--site: device classes and counts, e.g. 'rpi4:3,rpi3:1'", 'rpi4:4')
    .option('--latency-ms <ms>', '--site: per-message link latency', '0.2')
    .option('--input-shape <HxWxC>', '--site: observation shape instead of --env (e.g. 84x84x4, no ROM needed)')
    .action(
      async (o: {
        env: string;
        model: string;
        batch: number;
        reps: number;
        id: string;
        link: string;
        romDir?: string;
        out?: string;
        json?: boolean;
        site?: boolean;
        devices: string;
        latencyMs: string;
        inputShape?: string;
      }) => {
        if (o.site) {
          const given = o.inputShape?.split('x').map(Number);
          if (given && (given.length !== 3 || given.some((v) => !Number.isInteger(v) || v < 1)))
            throw new Error(`--input-shape must be HxWxC, got "${o.inputShape}"`);
          const shape = (given ?? makeEnv(o.env, { seed: 0, ...(o.romDir ? { romDir: o.romDir } : {}) }).observationShape) as [number, number, number];
          const model = o.model === 'auto' ? resolveNetworkSpec('auto', shape) : o.model;
          const link = o.link === 'unlimited' ? '10MB/s' : o.link;
          const inst = await profileSite({
            model,
            inputShape: shape,
            batch: o.batch,
            reps: Math.min(o.reps, 7),
            devices: o.devices,
            link,
            latencyMs: Number(o.latencyMs),
            out: o.out,
          });
          console.log(
            o.json
              ? JSON.stringify(inst)
              : `site instance: ${inst.network}, ${inst.devices.length} devices, classes ${Object.keys(inst.profiles).join(', ')}${o.out ? `; written to ${o.out}` : ''}`,
          );
          return;
        }
        const backend = await initBackend({ log: () => {}, gradients: false });
        const env = makeEnv(o.env, { seed: 0, ...(o.romDir ? { romDir: o.romDir } : {}) });
        const shape = env.observationShape as [number, number, number];
        const spec = o.model === 'auto' ? resolveNetworkSpec('auto', shape) : networkSpecFromName(o.model, '--model');
        let progress: TaskProgress | undefined;
        const layers = await profileLayers(spec, shape, env.numActions, o.batch, o.reps, (k, K) => {
          progress ??= new TaskProgress('profile', K, { unit: 'layer timings', kind: o.json ? 'none' : 'auto' });
          progress.tick(1, `layers 1..${k} of ${K} timed`);
        });
        progress?.stop();
        const seconds = layers.reduce((a, l) => a + l.seconds, 0);
        const flops = layers.reduce((a, l) => a + l.flops, 0) / seconds;
        const link = parseBandwidth(o.link);
        const result = {
          device: { backend: backend.name, network: spec, batch: o.batch },
          layers: layers.map((l) => ({ ...l, flopsPerSecond: l.seconds > 0 ? l.flops / l.seconds : null })),
          // The instance format of `coknight partition solve`: inputBytes and layers per inference, this actor.
          instance: {
            inputBytes: shape[0] * shape[1] * shape[2],
            layers: layers.map((l) => ({ name: l.name, flops: l.flops / o.batch, outBytes: l.outBytes })),
            actors: [{ id: o.id, flops, ...(Number.isFinite(link) ? { linkBytesPerSec: link } : {}) }],
          },
        };
        if (o.out) writeFileSync(o.out, `${JSON.stringify(result.instance, null, 2)}\n`);
        if (o.json) {
          console.log(JSON.stringify(result));
          return;
        }
        console.log(`${spec} network on ${o.env}, batch ${o.batch}, ${backend.name} backend:`);
        for (const l of result.layers) {
          console.log(
            `  ${l.name.padEnd(10)} ${(l.seconds * 1e3).toFixed(3).padStart(9)} ms  ${(l.flops / 1e6).toFixed(2).padStart(9)} MFLOP  b_k ${l.outBytes} B`,
          );
        }
        console.log(`  effective ${(flops / 1e9).toFixed(2)} GFLOP/s${o.out ? `; instance part written to ${o.out}` : ''}`);
      },
    );
}
