/**
 * Where the learner computes V-trace. On a GPU (webgpu) the network's outputs stay on the device
 * and V-trace runs there as tensor ops (vtrace-tensors.ts), so an update reads back once, at its end.
 * On backends whose tensors live in this process's memory (wasm, cpu, tensorflow) reading them back
 * is a copy, and the ~50 small tensor ops of the device version cost more than the JS loop
 * (measured on wasm: 1.4 ms against 0.07 ms per call at T=20, B=8, mostly tfjs's per-op overhead),
 * so there V-trace stays in plain JS. Both give the same numbers (float32 vs float64: ~1e-6).
 */
import * as tf from '@tensorflow/tfjs-core';
import { vtraceFlat } from '../vtrace/vtrace.js';
import { vtraceTensors, type VtraceTensorInput } from '../vtrace/vtrace-tensors.js';

/** 'auto': on the host where the backend reads synchronously, else on the backend. */
export type VtraceOn = 'auto' | 'host' | 'backend';

const SYNC_READ = new Set(['cpu', 'wasm', 'tensorflow']);

export function resolveVtraceOn(on: VtraceOn): 'host' | 'backend' {
  if (on !== 'auto') return on;
  return SYNC_READ.has(tf.getBackend()) ? 'host' : 'backend';
}

export interface VtraceForLoss {
  /** [T·B] targets and advantages, constants for the loss. */
  readonly vs: tf.Tensor1D | Float32Array;
  readonly pgAdvantages: tf.Tensor1D | Float32Array;
  /** [3]: Σ vs, Σ advantages, Σ ρ, for the update's statistics. */
  readonly sums: tf.Tensor1D;
}

/** V-trace for the loss; call inside the gradient function (the tensors it makes are its scope's). */
export function vtraceForLoss(on: 'host' | 'backend', input: VtraceTensorInput): VtraceForLoss {
  if (on === 'backend') {
    const vt = vtraceTensors(input);
    return { vs: vt.vs, pgAdvantages: vt.pgAdvantages, sums: tf.stack([tf.sum(vt.vs), tf.sum(vt.pgAdvantages), tf.sum(tf.exp(vt.logRhos))]) as tf.Tensor1D };
  }
  const vt = vtraceFlat({
    ...input,
    A: input.targetLogits.shape[1],
    targetLogits: input.targetLogits.dataSync(),
    values: input.values.dataSync(),
    bootstrapValue: input.bootstrapValue.dataSync(),
  });
  let [vs, adv, rho] = [0, 0, 0];
  for (let i = 0; i < vt.vs.length; i++) {
    vs += vt.vs[i];
    adv += vt.pgAdvantages[i];
    rho += Math.exp(vt.logRhos[i]);
  }
  return { vs: vt.vs, pgAdvantages: vt.pgAdvantages, sums: tf.tensor1d([vs, adv, rho]) };
}
