// The 'native' backend: tfjs's wasm backend with its hot training kernels (matmul, conv and both
// conv gradients, and the bias-gradient Sum) replaced by OpenBLAS ones that compute directly on the wasm heap. Everything
// else (elementwise ops, other reductions, the optimizer) stays on wasm; tf.getBackend() says 'wasm'.
import {
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedConv2D,
  Sum,
  _FusedMatMul,
  getBackend,
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { startWasm } from '../wasm.js';
import { loadNativeBlas, type NativeBlas } from './addon.js';
import { nativeConv2D, nativeConv2DBackpropFilter, nativeConv2DBackpropInput } from './native-conv.js';
import { nativeMatMul } from './native-matmul.js';
import { nativeSum } from './native-sum.js';
import { nativeReluGrad } from './native-relu.js';
import { rmsPropStep, type RmsPropStep } from './native-rmsprop.js';
import { RELU_GRAD } from '../relu-ops.js';
import { CODEC_KERNELS } from '../codec-kernels.js';
import { nativeCodecKernels } from './native-codec.js';

type Make = (addon: NativeBlas, fallback: () => KernelFunc) => KernelFunc;

const KERNELS: ReadonlyArray<[string, Make]> = [
  [BatchMatMul, (a, f) => nativeMatMul(a, f, false)],
  [_FusedMatMul, (a, f) => nativeMatMul(a, f, true)],
  [Conv2D, (a, f) => nativeConv2D(a, f, false)],
  [FusedConv2D, (a, f) => nativeConv2D(a, f, true)],
  [Conv2DBackpropInput, nativeConv2DBackpropInput],
  [Conv2DBackpropFilter, nativeConv2DBackpropFilter],
  [Sum, nativeSum],
];

/** The wasm kernels the native ones replaced (their fallbacks), while installed. */
const replaced = new Map<string, KernelConfig>();

export function nativeKernelsInstalled(): boolean {
  return replaced.size > 0;
}

/** Replaces the wasm kernels (call after the wasm training kernels are registered); idempotent. */
export function installNativeKernels(addon: NativeBlas): void {
  if (nativeKernelsInstalled()) return;
  for (const [name, make] of KERNELS) {
    const previous = getKernel(name, 'wasm');
    if (!previous) throw new Error(`native backend: wasm has no ${name} kernel to replace (tfjs-backend-wasm 4.22 is expected)`);
    replaced.set(name, previous);
    unregisterKernel(name, 'wasm');
    // keep the previous setupFunc: it binds the wasm function the fallback calls
    registerKernel({ kernelName: name, backendName: 'wasm', setupFunc: previous.setupFunc, kernelFunc: make(addon, () => previous.kernelFunc) });
  }
  // A kernel of our own (no wasm one to replace); an addon built before it lacks reluGrad.
  if (typeof addon.reluGrad === 'function') registerKernel({ kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: nativeReluGrad(addon) });
  for (const [kernelName, kernelFunc] of nativeCodecKernels(addon) ?? []) registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

/** Puts back the wasm kernels (for benchmarks and tests that compare the two). */
export function uninstallNativeKernels(): void {
  for (const [name, previous] of replaced) {
    unregisterKernel(name, 'wasm');
    registerKernel(previous);
  }
  for (const name of [RELU_GRAD, ...CODEC_KERNELS]) if (replaced.size > 0 && getKernel(name, 'wasm')) unregisterKernel(name, 'wasm');
  replaced.clear();
}

/**
 * Starts wasm (`threads` XNNPACK threads) with the native kernels and as many BLAS threads.
 * Returns the run log's detail line, or throws with the reason the addon is unavailable.
 */
export async function startNative(threads?: number): Promise<string> {
  const { addon, why } = loadNativeBlas();
  if (addon == null) throw new Error(why);
  uninstallNativeKernels(); // startWasm re-registers the wasm kernels; install on top of them afterwards
  const wasm = await startWasm(threads);
  const blasThreads = addon.setThreads(threads ?? 1) ? `${threads ?? 1} BLAS thread(s)` : 'BLAS threads as the library chose';
  installNativeKernels(addon);
  return `${addon.describe().trim()}, ${blasThreads}; matmul and conv (forward, both gradients) native, the rest on wasm (${wasm.split(',')[0]})`;
}

export { loadNativeBlas, type NativeBlas } from './addon.js';
export type { RmsPropParams, RmsPropStep } from './native-rmsprop.js';

let rmsPropOn = true;

/** Off: RMSProp runs as tfjs's kernels even on the native backend (for A/B benchmarks). */
export function setNativeRmsProp(on: boolean): void {
  rmsPropOn = on;
}

/** The fused in-place RMSProp step, or null where it cannot run (no addon or an older one, not the native backend). */
export function nativeRmsPropStep(): RmsPropStep | null {
  const { addon } = loadNativeBlas();
  if (!rmsPropOn || addon == null || typeof addon.rmsprop !== 'function' || !nativeKernelsInstalled() || getBackend() !== 'wasm') return null;
  return rmsPropStep(addon);
}
