// Starting the tfjs wasm backend under Node: its .wasm binaries are read from node_modules by
// file path (under Node, emscripten's loader reads them with fs, no fetch involved).
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';
import { enableWasmThreads, unrefWasmWorkers, withCoreCountFor } from './wasm-threads.js';

/** Folder holding tfjs-backend-wasm.wasm and its SIMD variants, with a trailing separator. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

let pathsSet = false;

let startedThreads: number | undefined;

/**
 * Initialises the wasm backend and installs the training kernels. `threads` > 1 selects the
 * threaded-SIMD build (see wasm-threads.ts); otherwise the single-threaded SIMD build. The wasm
 * module is started once per process, so the first call's thread count sticks.
 * Returns a one-line detail (build and thread count) for the run log.
 */
export async function startWasm(threads?: number): Promise<string> {
  const want = threads ?? 1;
  if (startedThreads != null && startedThreads !== want) {
    throw new Error(`backend: the wasm module already runs with ${startedThreads} thread(s); threads=${want} needs a new process`);
  }
  if (!pathsSet) {
    setWasmPaths(wasmBinaryDir());
    pathsSet = true;
  }
  if (want > 1) enableWasmThreads();
  setThreadsCount(want);
  registerWasmTrainingKernels();
  const ok = await withCoreCountFor(want, () => tf.setBackend('wasm'));
  if (!ok) throw new Error(`tfjs wasm backend failed to initialise (binaries looked up in ${wasmBinaryDir()})`);
  startedThreads = want;
  if (want > 1) unrefWasmWorkers();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const build = want > 1 && simd ? 'threaded-SIMD' : simd ? 'SIMD' : 'plain';
  return `${build} build, ${getThreadsCount()} thread(s), training kernels patched (conv backprop, MaxPoolGrad, transposed matmul, Identity)`;
}
