/**
 * Who runs the network's forward passes for inference — actor heads, the learner's batched tails,
 * eval, local mode's acting: onnxruntime-node (faster on CPUs) or tfjs (the model's own backend).
 * Training always stays on tfjs; the ONNX runner reads its weights from the tfjs variables.
 *
 * 'auto' takes onnxruntime-node when it loads and tfjs runs on wasm or cpu (a native tfjs backend,
 * e.g. a GPU, keeps tfjs), and otherwise says in one line why it uses tfjs. 'onnx' insists.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadOnnxRuntime, OnnxPolicyRunner, type WeightsMode } from './onnx-runner.js';
import type { PolicyModel } from './policy-model.js';
import { act, type Act, type ActOptions, headActivations } from './policy.js';

import { INFERENCE_CHOICES, type InferenceChoice } from './inference-choice.js';
export { INFERENCE_CHOICES, type InferenceChoice };

export interface PolicyRunner {
  readonly kind: 'onnx' | 'tfjs';
  /** What runs, for the log: 'onnxruntime-node 1.30.0 (1 thread)' or 'tfjs (wasm)'. */
  readonly detail: string;
  /** Layers y+1..K, the heads and a choice of action (as `act`). */
  act(input: Uint8Array | Float32Array, n: number, opts?: ActOptions): Promise<Act>;
  /** Layers 1..y on n raw observations (as `headActivations`). */
  head(obs: Uint8Array, n: number, y: number): Promise<Float32Array>;
  dispose(): void;
}

export class TfjsPolicyRunner implements PolicyRunner {
  readonly kind = 'tfjs' as const;
  constructor(private readonly model: PolicyModel) {}

  get detail(): string {
    return `tfjs (${tf.getBackend()})`;
  }

  act(input: Uint8Array | Float32Array, n: number, opts: ActOptions = {}): Promise<Act> {
    return Promise.resolve(act(this.model, input, n, opts));
  }

  head(obs: Uint8Array, n: number, y: number): Promise<Float32Array> {
    return Promise.resolve(headActivations(this.model, obs, n, y));
  }

  dispose(): void {}
}

export interface PolicyRunnerOptions {
  /** onnxruntime intra-op threads (default 1). */
  readonly threads?: number;
  /** Gets the one-line notice of which runner was chosen and, for a fallback, why. */
  readonly log?: (msg: string) => void;
  /** 'inputs' (default): weights fed on every run; 'baked': initializers, a new session after each change (eval). */
  readonly weights?: WeightsMode;
  /** The package to load (default 'onnxruntime-node'). */
  readonly onnxPackage?: string;
}

/** The runner `choice` asks for on `model`; 'onnx' without a loadable onnxruntime-node is an error. */
export function createPolicyRunner(model: PolicyModel, choice: InferenceChoice, opts: PolicyRunnerOptions = {}): PolicyRunner {
  const log = opts.log ?? (() => undefined);
  if (!(INFERENCE_CHOICES as readonly string[]).includes(choice)) {
    throw new RangeError(`inference: "${String(choice)}" is not one of ${INFERENCE_CHOICES.join(', ')}`);
  }
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`inferenceThreads: ${String(threads)} must be a positive integer`);
  if (choice === 'tfjs') {
    log(`inference: tfjs (${tf.getBackend()}), as the config's inference: tfjs asks`);
    return new TfjsPolicyRunner(model);
  }
  // A GPU backend keeps inference where its weights live (and webgpu has no synchronous read for the
  // ONNX runner's weight copies): auto takes onnxruntime only on the CPU backends.
  if (choice === 'auto' && (tf.getBackend() === 'tensorflow' || tf.getBackend() === 'webgpu')) {
    log(`inference: tfjs on the ${tf.getBackend()} backend (inference: auto keeps it; set inference: onnx for onnxruntime-node)`);
    return new TfjsPolicyRunner(model);
  }
  if (choice === 'onnx' && tf.getBackend() === 'webgpu')
    throw new Error('inference: onnx reads the weights synchronously, which the webgpu backend cannot do: set inference: auto or tfjs');
  const loaded = loadOnnxRuntime(opts.onnxPackage);
  if ('reason' in loaded) {
    if (choice === 'onnx') throw new Error(`inference: onnx, but ${loaded.reason}; run npm ci (it ships its CPU binary) or set inference: auto or tfjs`);
    log(`inference: tfjs (${tf.getBackend()}) — ${loaded.reason}`);
    return new TfjsPolicyRunner(model);
  }
  const r = new OnnxPolicyRunner(loaded.ort, model, threads, loaded.version, opts.weights);
  log(`inference: ${r.detail}`);
  return r;
}
