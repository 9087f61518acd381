import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { registerPartition } from '../src/cli/commands/partition.js';
import { registerProfile } from '../src/cli/commands/profile.js';
import { registerSimulate } from '../src/cli/commands/simulate.js';
import { solveBruteForce, parseInstance } from '../src/partition/index.js';

async function run(args: string[]): Promise<string[]> {
  const program = new Command().exitOverride();
  registerPartition(program);
  registerSimulate(program);
  registerProfile(program);
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    await program.parseAsync(['node', 'coknight', ...args]);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return out;
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('coknight partition solve with codecs', () => {
  it('prints the codec chosen per actor (text and JSON)', async () => {
    const { modelNetworkWithCodecs } = await import('../src/partition/index.js');
    const net = modelNetworkWithCodecs('minatar', [10, 10, 4], 6, ['q8', 'ae4q4']);
    const dir = mkdtempSync(join(tmpdir(), 'coknight-codec-'));
    const file = join(dir, 'inst.json');
    const edge = { flops: 1e8, computeBudget: 1e9, bandwidthBudget: 200, delta: 1 };
    writeFileSync(file, JSON.stringify({ inputBytes: net.inputBytes, layers: net.layers, edge, actors: [{ id: 'pi', flops: 1e6, linkBytesPerSec: 1e4 }] }));
    const text = await run(['partition', 'solve', '--instance', file]);
    expect(text[1]).toBe('  pi: y = 1 (layers 1..1 on actor, codec ae4q4)');
    const [line] = await run(['partition', 'solve', '--instance', file, '--algorithm', 'milp', '--json']);
    expect(JSON.parse(line).actors).toEqual([{ id: 'pi', splitPoint: 1, codec: 'ae4q4' }]);
  });
});

describe('coknight partition solve', () => {
  const file = 'configs/partition/impala-shallow-8actors.json';
  const inst = parseInstance(JSON.parse(readFileSync(file, 'utf8')));
  const optimum = solveBruteForce(inst).latencyReduction;

  it.each(['defp', 'igreedy', 'ogreedy', 'milp'])('--algorithm %s --json prints the documented fields', async (alg) => {
    const [line] = await run(['partition', 'solve', '--instance', file, '--algorithm', alg, '--json']);
    const r = JSON.parse(line);
    expect(Object.keys(r).slice(0, 7)).toEqual(['algorithm', 'assignment', 'actors', 'objective', 'latencyReduction', 'feasible', 'solveMs']);
    expect(r.algorithm).toBe(alg);
    expect(r.assignment).toHaveLength(8);
    expect(r.actors.map((a: { id: string }) => a.id)).toEqual(inst.actors.map((a) => a.id));
    expect(r.actors.map((a: { splitPoint: number }) => a.splitPoint)).toEqual(r.assignment);
    expect(r.feasible).toBe(true);
    expect(r.latencyReduction).toBeLessThanOrEqual(optimum * (1 + 1e-12));
    if (alg === 'milp' || alg === 'defp') expect(r.latencyReduction).toBeCloseTo(optimum, 12);
  });

  it('merges `profile --out` files of several devices with a learner edge file into one instance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coknight-part-'));
    const parts: { p: string }[] = [];
    for (const [i, id] of ['pi', 'phone'].entries()) {
      const p = join(dir, `${id}.json`);
      await run(['profile', '--batch', '2', '--reps', '3', '--id', id, '--link', `${i + 1}MB/s`, '--out', p, '--json']);
      parts.push({ p });
    }
    const [line] = await run(['partition', 'solve', '--instance', parts[0].p, parts[1].p, 'configs/partition/edge-example.json', '--json']);
    const r = JSON.parse(line);
    expect(r.actors.map((a: { id: string }) => a.id)).toEqual(['pi', 'phone']);
    expect(r.feasible).toBe(true);
    // The same device twice, and no edge at all, are refused with what to do.
    await expect(run(['partition', 'solve', '--instance', parts[0].p, parts[0].p, 'configs/partition/edge-example.json'])).rejects.toThrow(/actor "pi" twice/);
    await expect(run(['partition', 'solve', '--instance', parts[0].p])).rejects.toThrow(/edge/);
  });

  it('the shipped MinAtar instance shows a trade-off: offloading the slow devices wins, greedy by arrival order loses', async () => {
    const f = 'configs/partition/minatar-5actors.json';
    const [defp] = await run(['partition', 'solve', '--instance', f, '--algorithm', 'defp', '--json']);
    const [igreedy] = await run(['partition', 'solve', '--instance', f, '--algorithm', 'igreedy', '--json']);
    const d = JSON.parse(defp);
    const g = JSON.parse(igreedy);
    expect(d.assignment).toContain(0);
    expect(d.assignment).toContain(2);
    expect(d.latencyReduction).toBeGreaterThan(g.latencyReduction * 1.2);
  });

  it('names the bad field of an invalid instance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coknight-part-'));
    const bad = join(dir, 'bad.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.layers[1].outBytes = -5;
    delete data.edge.delta;
    writeFileSync(bad, JSON.stringify(data));
    await expect(run(['partition', 'solve', '--instance', bad])).rejects.toThrow(/layers\[1\]\.outBytes[\s\S]*edge\.delta: missing required field/);
    writeFileSync(bad, '{ not json');
    await expect(run(['partition', 'solve', '--instance', bad])).rejects.toThrow(/not valid JSON/);
  });
});

describe('coknight simulate', () => {
  it('writes results.json and one SVG + PNG per server kind and metric', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coknight-sim-'));
    const [line] = await run(['simulate', '--actors', '1,8,30', '--non-elastic-actors', '8', '--out', dir, '--json']);
    const result = JSON.parse(line);
    expect(result.points).toHaveLength(2 * 3 * 4);
    for (const p of result.points) expect(p.feasible).toBe(true);
    const files = readdirSync(dir).sort();
    expect(files).toContain('results.json');
    for (const server of ['elastic', 'non-elastic']) {
      for (const m of ['latencyReductionMs', 'strategyVariance', 'reductionVarianceMs2', 'solveMs']) {
        expect(files).toContain(`${server}-${m}.svg`);
        expect(files).toContain(`${server}-${m}.png`);
      }
    }
    const png = PNG.sync.read(readFileSync(join(dir, 'elastic-latencyReductionMs.png')));
    expect(png.width).toBeGreaterThan(500);
    const milp = result.points.filter((p: { algorithm: string }) => p.algorithm === 'milp');
    const defp = result.points.filter((p: { algorithm: string }) => p.algorithm === 'defp');
    defp.forEach((p: { latencyReductionMs: number }, k: number) => expect(p.latencyReductionMs).toBeGreaterThanOrEqual(0.95 * milp[k].latencyReductionMs));
  });
});
