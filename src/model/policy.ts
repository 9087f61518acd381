/**
 * The one policy step every role runs — observations (or a layer-y activation) → network → logits
 * and values → an action per env — and the one rule for which network 'auto' means.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.js';
import { NETWORK_SPECS, type NetworkSpec } from './networks.js';
import type { PolicyModel } from './policy-model.js';
import { argmaxRows, sampleFromLogits } from './sampling.js';

export interface Act {
  /** [n, A] row-major behaviour logits. */
  readonly logits: Float32Array;
  /** [n] state values. */
  readonly values: Float32Array;
  /** [n] chosen actions. */
  readonly actions: Int32Array;
}

export interface ActOptions {
  /** Split point of `input`: 0 = raw uint8 observations (default), y > 0 = float32 layer-y outputs. */
  readonly splitPoint?: number;
  /** 'sample' draws from softmax(logits) with `rng`; 'greedy' takes the argmax. */
  readonly mode?: 'sample' | 'greedy';
  readonly rng?: Rng;
  /** Where to write the actions (reused buffers on hot paths). */
  readonly out?: Int32Array<ArrayBuffer>;
}

/**
 * Runs layers y+1..K and the heads on n samples, then picks actions. Async because a GPU backend
 * reads results back only asynchronously; logits and values come back in one read.
 */
export async function act(model: PolicyModel, input: Uint8Array | Float32Array, n: number, opts: ActOptions = {}): Promise<Act> {
  const y = opts.splitPoint ?? 0;
  const A = model.numActions;
  if (opts.mode !== 'greedy' && !opts.rng) throw new RangeError("act: mode 'sample' needs an rng");
  const both = tf.tidy(() => {
    const out = model.tail(model.activationTensor(input, n, y), y);
    return tf.concat([tf.reshape(out.logits, [n * A]), out.value]);
  });
  let host: Float32Array;
  try {
    host = (await both.data()) as Float32Array;
  } finally {
    both.dispose();
  }
  const logits = host.slice(0, n * A);
  const values = host.slice(n * A, n * A + n);
  return { logits, values, actions: pickActions(logits, n, A, opts) };
}

/** The action per row of [n, A] logits: greedy argmax or a draw from softmax with `opts.rng`. */
export function pickActions(logits: Float32Array, n: number, A: number, opts: ActOptions): Int32Array {
  if (opts.mode === 'greedy') return argmaxRows(logits, n, A, opts.out);
  if (!opts.rng) throw new RangeError("act: mode 'sample' needs an rng");
  return sampleFromLogits(logits, n, A, opts.rng, opts.out);
}

/** Layers 1..y on n raw observations: what an actor at split point y sends. */
export async function headActivations(model: PolicyModel, obs: Uint8Array, n: number, y: number): Promise<Float32Array> {
  const h = tf.tidy(() => model.head(model.activationTensor(obs, n, 0), y));
  try {
    return (await h.data()) as Float32Array;
  } finally {
    h.dispose();
  }
}

/** 'auto' picks the MinAtar network for small grids (≤ 16 cells a side) and IMPALA's shallow network for 84×84 Atari frames. */
export function resolveNetworkSpec(spec: NetworkSpec | 'auto', inputShape: readonly number[]): NetworkSpec {
  if (spec !== 'auto') return spec;
  return inputShape[0] <= 16 ? 'minatar' : 'impala-shallow';
}

/** A network spec name received from elsewhere (a contract, a checkpoint), checked. */
export function networkSpecFromName(name: string, where: string): NetworkSpec {
  if (!(NETWORK_SPECS as readonly string[]).includes(name)) {
    throw new RangeError(`${where}: network "${name}" is not one of ${NETWORK_SPECS.join(', ')}`);
  }
  return name as NetworkSpec;
}
