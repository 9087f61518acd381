// Picks the tfjs backend at start-up: tfjs-node-gpu, then webgpu on a hardware adapter (never a
// software one unless asked for by name), then 'native' (wasm plus the OpenBLAS addon, when built),
// then tfjs-node (the tfjs-node packages are optional: loaded only if installed and loadable), then
// tfjs-backend-wasm (the default), and cpu as a last resort.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ensureGradients } from './gradients.js';
import { startNative, uninstallNativeKernels } from './native/index.js';
import { startWasm } from './wasm.js';
import { describeAdapter, noGpuDeviceNode, startWebGpu, type GpuAdapterSummary } from './webgpu.js';

export type BackendPreference = 'auto' | 'native' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface BackendOptions {
  /** 'auto' (default): the fastest that loads. Any other value: that one or an error. */
  prefer?: BackendPreference;
  /** wasm backend thread count (XNNPACK; and OpenBLAS's for 'native'); default 1. */
  threads?: number;
  log?: (msg: string) => void;
  /** Register gradient functions (default true); actors only run forward passes and skip the ~1 s. */
  gradients?: boolean;
}

export interface BackendInfo {
  name: string;
  detail: string;
  warnings: string[];
  /** The WebGPU adapter, when name is 'webgpu'. */
  adapter?: GpuAdapterSummary;
}

const PREFERENCES: readonly BackendPreference[] = ['auto', 'native', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const CPU_WARNING = 'using the plain JS cpu backend: 30–300× slower than wasm; training will crawl';

/** Imports an optional native tfjs package. Returns why it could not be used, or null on success. */
async function tryNative(pkg: string): Promise<string | null> {
  try {
    await import(pkg);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if ((e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && String(e.message).includes(pkg)) {
      return `${pkg} is not installed`;
    }
    return `${pkg} is installed but failed to load: ${String(e.message).split('\n')[0]}`;
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    return `${pkg} loaded but registered no 'tensorflow' backend (two copies of @tensorflow/tfjs-core? run \`npm ls @tensorflow/tfjs-core\`)`;
  }
  if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but the 'tensorflow' backend failed to initialise`;
  return null;
}

async function pick(opts: BackendOptions): Promise<BackendInfo> {
  const prefer = opts.prefer ?? 'auto';
  if (!PREFERENCES.includes(prefer)) {
    throw new Error(`backend: prefer must be one of ${PREFERENCES.join(', ')}; got ${JSON.stringify(prefer)}`);
  }
  if (opts.threads != null && (!Number.isInteger(opts.threads) || opts.threads < 1)) {
    throw new Error(`backend: threads must be a positive integer; got ${opts.threads}`);
  }
  const warnings: string[] = [];
  const skipped: string[] = [];

  const native = async (pkg: (typeof NATIVE_PACKAGES)[number]): Promise<BackendInfo | null> => {
    const why = await tryNative(pkg);
    if (why == null) return { name: 'tensorflow', detail: `${pkg} (libtensorflow)`, warnings };
    skipped.push(why);
    return null;
  };
  if (prefer === 'auto' || prefer === 'tensorflow') {
    const gpu = await native(NATIVE_PACKAGES[0]);
    if (gpu) return gpu;
  }
  if (prefer === 'webgpu' || (prefer === 'auto' && noGpuDeviceNode() == null)) {
    try {
      const adapter = await startWebGpu(prefer === 'webgpu');
      if (adapter.software) warnings.push(`webgpu runs on a software adapter (${adapter.description}): for tests only, far slower than wasm`);
      return { name: 'webgpu', detail: `tfjs-backend-webgpu on ${describeAdapter(adapter)}`, warnings, adapter };
    } catch (err) {
      if (prefer === 'webgpu')
        throw new Error(`backend: 'webgpu' requested but ${(err as Error).message.replace(/^webgpu: /, '')}. See the README's GPU section.`, { cause: err });
      skipped.push((err as Error).message);
    }
  } else if (prefer === 'auto') {
    skipped.push(noGpuDeviceNode()!);
  }
  if (prefer === 'auto' || prefer === 'native') {
    try {
      return { name: 'native', detail: await startNative(opts.threads), warnings };
    } catch (err) {
      const why = (err as Error).message;
      if (prefer === 'native') throw new Error(`backend: 'native' requested but ${why}. See packages/native-blas/README.md.`, { cause: err });
      skipped.push(why);
    }
  }
  if (prefer === 'auto' || prefer === 'tensorflow') {
    const cpu = await native(NATIVE_PACKAGES[1]);
    if (cpu) return cpu;
    if (prefer === 'tensorflow') {
      throw new Error(`backend: 'tensorflow' requested but ${skipped.join('; ')}. See docs/backend.md for the install command.`);
    }
  }
  if (prefer === 'auto' || prefer === 'wasm') {
    try {
      uninstallNativeKernels(); // 'wasm' means wasm's own kernels, even after a 'native' start
      const detail = await startWasm(opts.threads);
      return { name: 'wasm', detail: skipped.length ? `${detail} (${skipped.join('; ')})` : detail, warnings };
    } catch (err) {
      if (prefer === 'wasm') throw err;
      skipped.push(`wasm failed: ${(err as Error).message}`);
    }
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('backend: even the cpu backend failed to initialise');
  warnings.push(CPU_WARNING);
  return { name: 'cpu', detail: skipped.length ? `tfjs-backend-cpu (${skipped.join('; ')})` : 'tfjs-backend-cpu (requested)', warnings };
}

const started = new Map<string, Promise<BackendInfo>>();

/**
 * Selects and initialises the backend, registers gradients, and logs which backend and why.
 * Idempotent: the same options return the same result without re-initialising.
 */
export function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const key = `${opts.prefer ?? 'auto'}/${opts.threads ?? ''}/${opts.gradients !== false}`;
  let p = started.get(key);
  if (p == null) {
    p = (async () => {
      const info = await pick(opts);
      if (opts.gradients !== false) await ensureGradients();
      const log = opts.log ?? ((m: string) => console.log(m));
      log(`backend: ${info.name} — ${info.detail}`);
      for (const w of info.warnings) log(`backend warning: ${w}`);
      return info;
    })();
    started.set(key, p);
    p.catch(() => started.delete(key));
  }
  // Another call may have switched tfjs to a different backend since: make this one active again.
  return p.then(async (info) => {
    const tfName = info.name === 'native' ? 'wasm' : info.name; // native = wasm with the OpenBLAS kernels
    if (tf.getBackend() !== tfName && !(await tf.setBackend(tfName))) throw new Error(`backend: could not switch back to ${info.name}`);
    return info;
  });
}

/** Name of the active tfjs backend ('tensorflow', 'webgpu', 'wasm' or 'cpu'; 'native' runs as 'wasm'). */
export function getBackendName(): string {
  return tf.getBackend();
}

export { ensureGradients } from './gradients.js';
export { describeAdapter, summarizeAdapter, type GpuAdapterSummary } from './webgpu.js';
export { registerWasmTrainingKernels, restoreShippedWasmKernels } from './wasm-kernels/index.js';
export {
  installNativeKernels,
  loadNativeBlas,
  nativeKernelsInstalled,
  nativeRmsPropStep,
  setNativeRmsProp,
  uninstallNativeKernels,
  type NativeBlas,
} from './native/index.js';
export { readFloats } from './read-floats.js';
