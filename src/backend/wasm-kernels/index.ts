// Training kernels for the wasm backend: register replacements for the shipped kernels that
// are missing (Conv2DBackpropFilter), wrong (MaxPoolGrad) or slow (Conv2DBackpropInput,
// BatchMatMul/_FusedMatMul with a transposed operand, Identity's copy). Each is checked against the cpu backend
// in test/backend.kernels.test.ts.
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { captureShipped } from './heap.js';
import { identityConfig } from './identity.js';
import { batchMatMulConfig, fusedMatMulConfig } from './mat-mul-transpose-first.js';
import { maxPoolGradConfig } from './max-pool-grad.js';

export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  identityConfig,
];

/** Kernels our replacements call into; captured before anything is replaced. */
const BUILDING_BLOCKS = ['BatchMatMul', '_FusedMatMul', 'Transpose', 'Conv2D', 'Identity'];

function replace(config: KernelConfig): void {
  const original = captureShipped(config.kernelName);
  if (getKernel(config.kernelName, 'wasm')) unregisterKernel(config.kernelName, 'wasm');
  // Keep the original's setupFunc: it binds the wasm function the wrapped original calls, and
  // the engine runs setupFuncs of whatever is registered when the backend (re)initialises.
  registerKernel({ ...config, setupFunc: original?.setupFunc });
}

/**
 * Installs the replacements (idempotent). Call after importing @tensorflow/tfjs-backend-wasm;
 * works before or after the backend has initialised.
 */
export function registerWasmTrainingKernels(names?: readonly string[]): void {
  for (const k of BUILDING_BLOCKS) captureShipped(k);
  for (const config of WASM_TRAINING_KERNELS) {
    if (names && !names.includes(config.kernelName)) continue;
    const current = getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    replace(config);
  }
}

/** Puts the shipped kernels back (for benchmarks and tests that compare against them). */
export function restoreShippedWasmKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current) unregisterKernel(config.kernelName, 'wasm');
    const original = captureShipped(config.kernelName);
    if (original) registerKernel(original);
  }
}
