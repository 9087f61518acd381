/**
 * The webgpu backend (Dawn through npm `webgpu`) against wasm: forward/backward of the MinAtar and
 * IMPALA shallow nets, three TrainStep updates, a short local training run (test/fixtures/webgpu-checks.ts,
 * in a child process, since the Vulkan driver is chosen by environment variables read at start-up).
 * Without a GPU, scripts/setup-lavapipe.sh brings Mesa's software Vulkan driver from Debian's archive
 * into a private folder; when the archive cannot be reached the checks are skipped, saying why.
 * bench/gpu-check.sh runs this file with COKNIGHT_WEBGPU_TEST=system: the machine's own Vulkan driver.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeAdapter } from '../src/backend/webgpu.js';

const system = process.env.COKNIGHT_WEBGPU_TEST === 'system';
const lavapipeDir = process.env.COKNIGHT_LAVAPIPE_DIR ?? join(homedir(), '.cache', 'coknight', 'lavapipe');
const TOL = 1e-4;

/** Sets lavapipe up (once per machine); returns why the checks cannot run here, or null. */
function prepare(): string | null {
  if (!existsSync('node_modules/webgpu') || !existsSync('node_modules/@tensorflow/tfjs-backend-webgpu')) {
    return 'the optional packages webgpu and @tensorflow/tfjs-backend-webgpu are not installed (npm ci without --omit=optional)';
  }
  if (system) return null;
  const r = spawnSync('bash', ['scripts/setup-lavapipe.sh', lavapipeDir], { encoding: 'utf8', timeout: 240_000 });
  if (r.status === 0) return null;
  const why = (r.stderr || r.stdout || String(r.error)).trim().split('\n').pop();
  // unreachable archive (2) or no apt/dpkg here: skip; any other failure of the script is a failure
  if (r.status === 2 || /needs apt-get|only set up for/.test(why ?? '')) return why ?? 'lavapipe set-up failed';
  throw new Error(`scripts/setup-lavapipe.sh failed (exit ${r.status}): ${why}`);
}

const skip = prepare();
if (skip) console.warn(`backend.webgpu.test: SKIPPED the webgpu checks: ${skip}`);

describe('adapter classification', () => {
  it('lavapipe and SwiftShader are software; an NVIDIA adapter is not', () => {
    const lvp = {
      info: {
        vendor: 'mesa',
        architecture: 'software',
        device: 'llvmpipe-llvm-15-0-6-256-bits-',
        description: 'llvmpipe: Mesa 25.0.7',
        isFallbackAdapter: true,
      },
    };
    expect(summarizeAdapter(lvp).software).toBe(true);
    expect(
      summarizeAdapter({ info: { vendor: 'google', architecture: '', device: 'swiftshader', description: 'SwiftShader Device (Subzero)' } }).software,
    ).toBe(true);
    const nv = summarizeAdapter({ info: { vendor: 'nvidia', architecture: 'hopper', device: '0x2335', description: 'NVIDIA H200' } });
    expect(nv).toEqual({ vendor: 'nvidia', architecture: 'hopper', device: '0x2335', description: 'NVIDIA H200', software: false });
  });
});

describe.skipIf(skip != null)(`webgpu backend against wasm (${system ? "this machine's Vulkan driver" : 'lavapipe'})`, () => {
  const results = (() => {
    let cache: Record<string, unknown>[] | undefined;
    return (): Record<string, unknown>[] => {
      if (cache) return cache;
      const env = `${system ? '' : `. ${JSON.stringify(join(lavapipeDir, 'env.sh'))} && `}exec "$0" --import tsx test/fixtures/webgpu-checks.ts`;
      const r = spawnSync('bash', ['-c', env, process.execPath], { encoding: 'utf8', timeout: 240_000 });
      cache = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      if (r.status !== 0) throw new Error(`webgpu-checks exited ${r.status}: ${r.stderr.split('\n').slice(-15).join('\n')}`);
      return cache;
    };
  })();
  const check = (name: string, net?: string): Record<string, unknown> => {
    const c = results().find((x) => x.check === name && (net == null || x.net === net));
    expect(c, `${name} ${net ?? ''}`).toBeDefined();
    return c!;
  };

  it('finds an adapter; a software one is reported as such and refused by auto', { timeout: 240_000 }, () => {
    const a = check('adapter');
    if (!system) {
      expect(a.description).toMatch(/llvmpipe/);
      expect(a.software).toBe(true);
      expect(check('auto-refusal').refused).toBe(true);
      expect(check('auto-refusal').message).toMatch(/software/);
    } else {
      expect(a.software).toBe(false);
    }
  });

  for (const net of ['minatar', 'impala-shallow']) {
    it(`${net}: logits, values and every variable gradient equal wasm's to ${TOL}`, () => {
      expect(check('forward-backward', net).maxRelDiff).toBeLessThan(TOL);
    });
  }

  it(`three TrainStep updates leave the same weights and losses as on wasm (to ${TOL})`, () => {
    const c = check('train-step');
    expect(c.maxRelDiff).toBeLessThan(TOL);
    expect(c.lossDiff).toBeLessThan(TOL);
  });

  it('a short local training run completes on webgpu', () => {
    const c = check('local-run');
    expect(c.backend).toBe('webgpu');
    expect(c.frames).toBe(160);
  });
});
