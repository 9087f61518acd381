// Lets tfjs-backend-wasm use its threaded-SIMD build under Node, which tfjs turns off there
// (WASM_HAS_MULTITHREAD_SUPPORT is hard-wired false when IS_NODE). Turning the flag on is not
// enough: tfjs hands emscripten its pthread worker and main script as Blob URLs, which Node's
// worker_threads cannot load. So the worker becomes a real file (the package's own worker
// source, with a prelude that points the worker's main-script lookup at the package's
// threaded-simd.js on disk), and URL.createObjectURL returns that file's path for the worker Blob.
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

let installed: string | undefined;

/**
 * tfjs's C++ side caps the thread count at half of emscripten_num_logical_cores(), which under
 * Node is os.cpus().length. Runs `init` with os.cpus() reporting enough cores for `threads`.
 */
export async function withCoreCountFor<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const cpus = os.cpus;
  os.cpus = () => {
    const list = cpus();
    while (list.length > 0 && list.length < 2 * threads) list.push(list[0]!);
    return list;
  };
  try {
    return await init();
  } finally {
    os.cpus = cpus;
  }
}

/** Prepares threaded start-up; call before tf.setBackend('wasm'). Returns the worker file path. */
export function enableWasmThreads(): string {
  if (installed) return installed;
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const version = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const mainScript = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  if (!existsSync(mainScript) || typeof wasmWorkerContents !== 'string') {
    throw new Error(`threaded wasm: ${mainScript} or its worker source is missing from tfjs-backend-wasm ${version}`);
  }
  // tfjs escapes newlines the same way before making its Blob: the source's string literals
  // hold "\n" escapes that the template literal in worker.js turned into real newlines.
  const source = `URL.createObjectURL = () => ${JSON.stringify(mainScript)};\n${wasmWorkerContents.replace(/\n/g, '\\n')}`;
  const workerFile = path.join(os.tmpdir(), `coknight-tfjs-wasm-${version}-${process.getuid?.() ?? 0}.worker.cjs`);
  if (!existsSync(workerFile) || readFileSync(workerFile, 'utf8') !== source) writeFileSync(workerFile, source);

  const original = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob) => (obj instanceof Blob && obj.type === 'application/javascript' ? workerFile : original(obj));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  installed = workerFile;
  return workerFile;
}

interface PThreadPool {
  unusedWorkers: Array<{ unref?: () => void }>;
  runningWorkers: Array<{ unref?: () => void }>;
}

/**
 * emscripten keeps its pthread workers referenced, so a Node process using the threaded build
 * never exits on its own. The pool threads only wait on shared memory; unreference them.
 */
export function unrefWasmWorkers(): void {
  const wasm = (tf.findBackend('wasm') as BackendWasm | null)?.wasm as unknown as { PThread?: PThreadPool } | undefined;
  const pool = wasm?.PThread;
  if (!pool) return;
  for (const w of [...pool.unusedWorkers, ...pool.runningWorkers]) w.unref?.();
}
