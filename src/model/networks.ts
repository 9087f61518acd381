/**
 * The three policy networks, as ordered lists of splittable layers (the trunk; the policy and value
 * heads are added by the model and belong to layer K — whoever runs layer K runs the heads too).
 *
 * - 'minatar': MinAtar paper (Young & Tian 2019) network: conv 16 3×3/1 valid + ReLU, FC 128 + ReLU.
 *   K = 2. Input 0/1 planes used as is.
 * - 'impala-shallow': IMPALA paper shallow net: conv 16 8×8/4 + ReLU, conv 32 4×4/2 + ReLU, FC 256 +
 *   ReLU. VALID padding, as in the DQN/A3C nets it derives from (84 → 20 → 9). K = 3. Input /255.
 * - 'impala-deep': IMPALA deep ResNet: 3 stacks (16, 32, 32 channels) of conv 3×3/1 same + max-pool
 *   3×3/2 same + 2 residual blocks (ReLU-conv-ReLU-conv + skip), then ReLU, FC 256 + ReLU. Split
 *   granularity: every stack is three layers — [conv+pool], [res block 1], [res block 2] — so an actor
 *   can stop after any residual block, plus the FC layer: K = 10 (84 → 42 → 21 → 11). Input /255.
 * - 'impala-shallow-fc2': IMPALA shallow with a second FC 256 + ReLU after the first (K = 4). A study
 *   net, not a training preset: the only one with two FC layers in a row, which cooperative inference
 *   needs to run CoopAI's hybrid FC parallelism (src/coop/fc-modes.ts).
 */
import { LayerBuilder, type LayerDef } from './layer-builder.js';

export const NETWORK_SPECS = ['minatar', 'impala-shallow', 'impala-deep', 'impala-shallow-fc2'] as const;
export type NetworkSpec = (typeof NETWORK_SPECS)[number];

export interface Trunk {
  readonly layers: readonly LayerDef[];
  /** Multiplier applied to the raw uint8 observation (1 for MinAtar's 0/1 planes, 1/255 for Atari). */
  readonly inputScale: number;
}

export function buildTrunk(spec: NetworkSpec, inputShape: readonly [number, number, number]): Trunk {
  switch (spec) {
    case 'minatar':
      return minatar(inputShape);
    case 'impala-shallow':
      return impalaShallow(inputShape);
    case 'impala-deep':
      return impalaDeep(inputShape);
    case 'impala-shallow-fc2':
      return impalaShallowFc2(inputShape);
    default: {
      const never: never = spec;
      throw new Error(`unknown network spec '${String(never)}'; use one of ${NETWORK_SPECS.join(', ')}`);
    }
  }
}

function minatar(input: readonly number[]): Trunk {
  const conv = new LayerBuilder('conv1', input).inputScale(1).conv('conv1', 16, 3, 1, 'valid').relu().build();
  const fc = new LayerBuilder('fc', conv.outShape).flatten().dense('fc', 128).relu().build();
  return { layers: [conv, fc], inputScale: 1 };
}

function impalaShallow(input: readonly number[]): Trunk {
  const scale = 1 / 255;
  const c1 = new LayerBuilder('conv1', input).inputScale(scale).conv('conv1', 16, 8, 4, 'valid').relu().build();
  const c2 = new LayerBuilder('conv2', c1.outShape).conv('conv2', 32, 4, 2, 'valid').relu().build();
  const fc = new LayerBuilder('fc', c2.outShape).flatten().dense('fc', 256).relu().build();
  return { layers: [c1, c2, fc], inputScale: scale };
}

function impalaShallowFc2(input: readonly number[]): Trunk {
  const shallow = impalaShallow(input);
  const fc2 = new LayerBuilder('fc2', shallow.layers[2].outShape).dense('fc2', 256).relu().build();
  return { layers: [...shallow.layers, fc2], inputScale: shallow.inputScale };
}

function impalaDeep(input: readonly number[]): Trunk {
  const scale = 1 / 255;
  const layers: LayerDef[] = [];
  let shape: readonly number[] = input;
  [16, 32, 32].forEach((channels, i) => {
    const s = `stack${i + 1}`;
    const entry = new LayerBuilder(`${s}.conv_pool`, shape);
    if (i === 0) entry.inputScale(scale);
    const convPool = entry.conv(`${s}.conv`, channels, 3, 1, 'same').maxPool(3, 2, 'same').build();
    layers.push(convPool);
    shape = convPool.outShape;
    for (const r of [1, 2]) {
      const tag = `${s}.res${r}`;
      const block = new LayerBuilder(tag, shape)
        .residual((b) => b.relu().conv(`${tag}.conv1`, channels, 3, 1, 'same').relu().conv(`${tag}.conv2`, channels, 3, 1, 'same'))
        .build();
      layers.push(block);
    }
  });
  const fc = new LayerBuilder('fc', shape).relu().flatten().dense('fc', 256).relu().build();
  layers.push(fc);
  return { layers, inputScale: scale };
}
