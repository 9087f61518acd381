// Backend selection: on this machine tfjs-node(-gpu) are not installed, so 'auto' picks native
// (wasm plus the OpenBLAS addon) where the addon is built, and wasm where it is not.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { getBackendName, initBackend, loadNativeBlas } from '../src/backend/index.js';

const native = loadNativeBlas();

describe('initBackend', () => {
  it("'auto' picks native when built, else falls through the missing packages to wasm and logs why", async () => {
    const lines: string[] = [];
    const info = await initBackend({ log: (m) => lines.push(m) });
    expect(getBackendName()).toBe('wasm');
    expect(info.warnings).toEqual([]);
    expect(lines).toHaveLength(1);
    if (native.addon != null) {
      expect(info.name).toBe('native');
      expect(lines[0]).toMatch(/^backend: native — .*1 BLAS thread\(s\); matmul and conv .* native, the rest on wasm \(SIMD build\)/);
    } else {
      expect(info.name).toBe('wasm');
      expect(lines[0]).toMatch(/^backend: wasm — SIMD build, \d+ thread/);
      expect(lines[0]).toContain('native BLAS addon is not built');
      expect(lines[0]).toContain('@tensorflow/tfjs-node-gpu is not installed');
      expect(lines[0]).toContain('@tensorflow/tfjs-node is not installed');
    }
    // the training kernels are in place, and gradients are registered
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getGradient('Conv2D')).toBeDefined();
  });

  it('is idempotent: the same options give the same result without logging again', async () => {
    const lines: string[] = [];
    const a = await initBackend({ log: (m) => lines.push(m) });
    const b = await initBackend({ log: (m) => lines.push(m) });
    expect(b).toBe(a);
    expect(lines).toHaveLength(0);
  });

  it("prefer 'tensorflow' fails loudly, naming the packages and the docs", async () => {
    await expect(initBackend({ prefer: 'tensorflow', log: () => {} })).rejects.toThrow(/tfjs-node-gpu is not installed.*docs\/backend\.md/);
  });

  // Where Dawn can reach no Vulkan driver (CI, this machine kind); elsewhere webgpu may start.
  const vulkan = process.env.VK_ICD_FILENAMES != null || ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'].some((f) => existsSync(f));
  it.skipIf(vulkan)("prefer 'webgpu' without a Vulkan driver fails naming why and the README section", async () => {
    await expect(initBackend({ prefer: 'webgpu', log: () => {} })).rejects.toThrow(
      /'webgpu' requested but Dawn found no adapter \(no Vulkan loader.*GPU section/,
    );
  });

  it("prefer 'native' without the addon fails naming the fix; with it, starts native", async () => {
    if (native.addon == null) {
      await expect(initBackend({ prefer: 'native', log: () => {} })).rejects.toThrow(/'native' requested but .*libopenblas-dev.*npm run build:native/);
    } else {
      expect((await initBackend({ prefer: 'native', log: () => {} })).name).toBe('native');
    }
  });

  it('rejects bad options with the field named', async () => {
    await expect(initBackend({ prefer: 'gpu' as never })).rejects.toThrow(/prefer must be one of auto, native, tensorflow, webgpu, wasm, cpu/);
    await expect(initBackend({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });

  it("prefer 'cpu' works but warns", async () => {
    const lines: string[] = [];
    const info = await initBackend({ prefer: 'cpu', log: (m) => lines.push(m) });
    expect(info.name).toBe('cpu');
    expect(getBackendName()).toBe('cpu');
    expect(info.warnings[0]).toMatch(/slower than wasm/);
    expect(lines.some((l) => l.startsWith('backend warning:'))).toBe(true);
    await tf.setBackend('wasm');
  });
});
