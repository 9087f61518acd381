import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../src/config/load.js';
import { overridesFromFlags } from '../src/cli/run-flags.js';

describe('run config', () => {
  it('fills DESIGN.md defaults', () => {
    const c = validateConfig({});
    expect(c.mode).toBe('local');
    expect(c.env.id).toBe('minatar/breakout');
    expect(c.hyper).toMatchObject({
      unrollLength: 20,
      batchSize: 32,
      discount: 0.99,
      baselineCost: 0.5,
      entropyCost: 0.01,
      learningRate: 0.0006,
      rmspropDecay: 0.99,
      rmspropEpsilon: 0.01,
      gradClipNorm: 40,
    });
  });

  it('loads the shipped YAML configs', () => {
    for (const f of ['breakout', 'space_invaders', 'freeway', 'asterix', 'seaquest'].map((g) => `configs/minatar-${g}.yaml`)) {
      const c = loadConfig(f);
      expect(c.frames).toBe(5_000_000);
    }
  });

  it('lets flags and --set override the file', () => {
    const o = overridesFromFlags({ set: ['hyper.learningRate=0.001', 'env.difficultyRamping=false'], frames: 1000, env: 'minatar/freeway' });
    const c = loadConfig('configs/minatar-breakout.yaml', o);
    expect(c.hyper.learningRate).toBe(0.001);
    expect(c.env.difficultyRamping).toBe(false);
    expect(c.env.id).toBe('minatar/freeway');
    expect(c.frames).toBe(1000);
    expect(c.hyper.batchSize).toBe(16);
  });

  it('names every bad field and rejects unknown ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-config-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'mode: turbo\nhyper:\n  learningRate: -1\n  unrolLength: 5\n');
    let msg = '';
    try {
      loadConfig(f);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      msg = (e as Error).message;
    }
    expect(msg).toContain('mode');
    expect(msg).toContain('hyper.learningRate');
    expect(msg).toMatch(/unrolLength/);
    expect(msg).toContain(f);
  });

  it('reports unreadable and non-mapping files clearly', () => {
    expect(() => loadConfig('/nonexistent/x.yaml')).toThrow(/cannot read config file/);
    const dir = mkdtempSync(join(tmpdir(), 'ck-config-'));
    const f = join(dir, 'list.yaml');
    writeFileSync(f, '- 1\n- 2\n');
    expect(() => loadConfig(f)).toThrow(/mapping/);
    expect(() => overridesFromFlags({ set: ['nokey'] })).toThrow(/key=value/);
  });
});

describe('run flags', () => {
  it('--set and the dedicated flags merge field by field (--actors does not drop --set distributed.*)', async () => {
    const { configFromFlags } = await import('../src/cli/run-flags.js');
    const r = configFromFlags({ set: ['distributed.splitPoints=[1,2]', 'distributed.envsPerActor=3'], mode: 'coknight' }, { distributed: { actors: 2 } })!;
    expect(r.config.distributed.splitPoints).toEqual([1, 2]);
    expect(r.config.distributed.envsPerActor).toBe(3);
    expect(r.config.distributed.actors).toBe(2);
    expect(r.sources['distributed.actors']).toBe('command line');
    expect(r.sources['hyper.learningRate']).toBe('preset minatar/*');
    expect(r.sources['hyper.batchSize']).toBe('preset minatar/* (batch 16)');
  });
});
