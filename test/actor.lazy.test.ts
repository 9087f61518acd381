/**
 * An actor process loads tfjs only when it runs layers itself: at y = 0 (with --device-flops, so it
 * measures nothing) a whole run resolves no @tensorflow module; moved to y = 1 it loads them. The
 * actor is the real `coknight actor` with an import tracer (test/fixtures/trace-imports.mjs).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { LearnerService } from '../src/run/learner-service.js';

const ROOT = join(__dirname, '..');
const TOKEN = 'lazy-test-token';

async function runActor(mode: 'seed' | 'coknight'): Promise<{ stats: Record<string, number>; modules: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ck-lazy-'));
  const cfg = validateConfig({
    mode,
    frames: 1e9,
    env: { id: 'minatar/breakout' },
    hyper: { unrollLength: 5, batchSize: 2 },
    distributed: { listen: '127.0.0.1:0', metricsListen: '', token: TOKEN, ...(mode === 'coknight' ? { splitPoints: [1] } : {}) },
    run: { dir, progress: 'none', checkpointEverySeconds: 1e9 },
  });
  const svc = await LearnerService.start(cfg, { runDir: dir, log: () => {} });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const trace = join(dir, 'modules.txt');
  writeFileSync(trace, '');
  try {
    const args = ['--import', './test/fixtures/trace-imports.mjs', 'bin/coknight.js', 'actor', '--learner', svc.address, '--token-file', tokenFile];
    const child = spawn(process.execPath, [...args, '--envs', '4', '--device-flops', '1e9', '--max-steps', '40', '--final-stats'], {
      cwd: ROOT,
      env: { ...process.env, CK_TRACE_FILE: trace },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code, err).toBe(0);
    return { stats: JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>, modules: readFileSync(trace, 'utf8').split('\n') };
  } finally {
    await svc.stop(null);
    svc.dispose();
  }
}

describe('actors load tfjs only when they run layers', () => {
  beforeAll(async () => {
    await initBackend({ log: () => {} });
  });

  it('a y = 0 actor runs without loading any @tensorflow module (nor the learner)', { timeout: 120_000 }, async () => {
    const { stats, modules } = await runActor('seed');
    expect(stats.steps).toBe(40);
    expect(stats.splitPoint).toBe(0);
    expect(modules.some((m) => m.includes('/dist/cli/actor-main.js'))).toBe(true);
    expect(modules.filter((m) => m.includes('@tensorflow'))).toEqual([]);
    expect(modules.filter((m) => /\/dist\/(learner|run)\//.test(m))).toEqual([]);
  });

  it('an actor at y = 1 loads tfjs when it is put there', { timeout: 120_000 }, async () => {
    const { stats, modules } = await runActor('coknight');
    expect(stats.steps).toBe(40);
    expect(stats.splitPoint).toBe(1);
    expect(modules.some((m) => m.includes('@tensorflow/tfjs-core'))).toBe(true);
  });
});
