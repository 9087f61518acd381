// The tfjs WebGPU backend under Node through Dawn's Node binding (npm `webgpu`, dawn.node inside
// the package; both packages are optional dependencies). tfjs-backend-webgpu registers itself only
// when navigator.gpu exists at import, so the binding's globals (GPUBufferUsage, …) and a
// navigator.gpu go onto globalThis first. Results come back only through async reads (dataSync
// throws under Node: it needs an OffscreenCanvas), which is why every hot path awaits data().
import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe/llvmpipe, SwiftShader): correct but far slower than wasm. */
  software: boolean;
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software/i;

/** Names and whether the adapter is a software one. */
export function summarizeAdapter(adapter: AdapterLike): GpuAdapterSummary {
  const i = adapter.info ?? {};
  const text = [i.vendor, i.architecture, i.device, i.description].join(' ');
  return {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    software: i.isFallbackAdapter === true || adapter.isFallbackAdapter === true || SOFTWARE.test(text),
  };
}

/** One line for the run log. */
export function describeAdapter(a: GpuAdapterSummary): string {
  const name = a.description || [a.vendor, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name} (vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}${a.software ? ', software' : ''})`;
}

/**
 * Why 'auto' should not even load Dawn here, or null: without a GPU device node there is no
 * hardware adapter to find (and Dawn would print a Vulkan warning on every start).
 */
export function noGpuDeviceNode(): string | null {
  if (existsSync('/dev/nvidia0')) return null;
  try {
    if (readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) return null;
  } catch {
    // no /dev/dri
  }
  return 'webgpu: no GPU device node (/dev/nvidia0, /dev/dri/renderD*)';
}

let gpu: GpuLike | undefined;

async function loadDawn(): Promise<GpuLike> {
  if (gpu) return gpu;
  const dawn = (await import('webgpu' as string)) as DawnModule;
  Object.assign(globalThis, dawn.globals);
  const g = dawn.create([]);
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav == null) Object.defineProperty(globalThis, 'navigator', { value: { gpu: g }, configurable: true, writable: true });
  else if (nav.gpu == null) Object.defineProperty(nav, 'gpu', { value: g, configurable: true });
  gpu = g;
  return g;
}

const missing = (e: unknown, pkg: string): boolean => {
  const err = e as NodeJS.ErrnoException;
  return (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && String(err.message).includes(pkg);
};

/**
 * Finds the adapter tfjs will use (high-performance preference, as tfjs-backend-webgpu asks) and
 * starts the backend on it. A software adapter is refused unless `allowSoftware`.
 * Returns the adapter, or throws saying why not.
 */
export async function startWebGpu(allowSoftware: boolean): Promise<GpuAdapterSummary> {
  let g: GpuLike;
  try {
    g = await loadDawn();
  } catch (e) {
    if (missing(e, 'webgpu')) throw new Error('webgpu: the optional package `webgpu` (dawn.node) is not installed', { cause: e });
    throw new Error(`webgpu: dawn.node failed to load: ${String((e as Error).message).split('\n')[0]}`, { cause: e });
  }
  const adapter = await g.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter == null) {
    throw new Error('webgpu: Dawn found no adapter (no Vulkan loader libvulkan.so.1, or no Vulkan driver: for NVIDIA the ICD from its driver package)');
  }
  const summary = summarizeAdapter(adapter);
  if (summary.software && !allowSoftware) {
    throw new Error(`webgpu: the only adapter is a software one, ${describeAdapter(summary)}: slower than wasm, so not used unless backend is 'webgpu'`);
  }
  if (tf.findBackendFactory('webgpu') == null) {
    try {
      await import('@tensorflow/tfjs-backend-webgpu');
    } catch (e) {
      if (missing(e, 'tfjs-backend-webgpu')) throw new Error('webgpu: the optional package @tensorflow/tfjs-backend-webgpu is not installed', { cause: e });
      throw e;
    }
  }
  if (tf.findBackendFactory('webgpu') == null) {
    throw new Error('webgpu: @tensorflow/tfjs-backend-webgpu registered no backend (two copies of @tensorflow/tfjs-core? run `npm ls @tensorflow/tfjs-core`)');
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error(`webgpu: the backend failed to initialise on ${describeAdapter(summary)}`);
  return summary;
}
