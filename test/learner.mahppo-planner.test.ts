/**
 * The MAHPPO planner live in a learner (coknight mode, partition.planner: mahppo): a planner trained
 * here on slow devices, written to a file, loaded by the learner before it starts, and a real actor
 * process placed where the policy says.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { minatarNetwork } from '../src/partition/networks.js';
import { parseMultiInstance } from '../src/partition/multi/index.js';
import { planFromCheckpoint } from '../src/partition/multi/mahppo/checkpoint.js';
import { DEFAULT_MAHPPO, trainMahppo } from '../src/partition/multi/mahppo/trainer.js';
import { LearnerService } from '../src/run/learner-service.js';
import { loadPlannerCheckpoint, writePlannerCheckpoint } from '../src/run/planner-file.js';
import { until } from './helpers/wait.js';

const BIN = join(__dirname, '..', 'bin', 'coknight.js');
const dir = mkdtempSync(join(tmpdir(), 'ck-mahppo-'));
const ckpt = join(dir, 'mahppo-minatar.json');
// 0.1 MFLOP/s devices on 1 MB/s links: the MinAtar net takes 3.4 s locally, ~0.4 ms offloaded.
const SLOW = [{ name: 'slow', flops: 1e5, linkMin: 1e6, linkMax: 1e6, weight: 1 }];

beforeAll(async () => {
  await initBackend({ log: () => {} });
  const fleet = { network: minatarNetwork(), servers: 1, actors: [2, 6] as const, shareLevels: 4, profiles: SLOW };
  const { policy } = await trainMahppo({ ...DEFAULT_MAHPPO, fleet, iterations: 15, episodesPerIteration: 8, epochs: 4, seed: 5 });
  await writePlannerCheckpoint(ckpt, policy, { network: 'minatar', servers: 1, shareLevels: 4 });
}, 120_000);

const config = (over: Record<string, unknown>) =>
  validateConfig(
    {
      mode: 'coknight',
      frames: 100_000,
      seed: 3,
      env: { id: 'minatar/breakout' },
      hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
      distributed: { actors: 1, envsPerActor: 2, maxWaitMs: 2, token: 'mahppo-token' },
      run: { dir: mkdtempSync(join(tmpdir(), 'ck-mahppo-run-')), progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      partition: { planner: 'mahppo', plannerCheckpoint: ckpt, edgeFlops: 1e10, ...over },
      ...(over.multi ? { distributed: { actors: 1, envsPerActor: 2, maxWaitMs: 2, token: 'mahppo-token', serverAssign: 'plan' } } : {}),
    },
    'test',
  );

describe('MAHPPO as the live split planner', () => {
  it('a bad planner config fails before anything starts, naming the field and the fix', async () => {
    expect(() => validateConfig({ mode: 'coknight', partition: { planner: 'mahppo' } }, 'test')).toThrow(
      /partition\.plannerCheckpoint: partition\.planner is mahppo but no plannerCheckpoint is given: train one with `coknight planner train/,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"something-else"}');
    expect(() => loadPlannerCheckpoint(bad)).toThrow(/is not a MAHPPO planner checkpoint: format/);
    expect(() => loadPlannerCheckpoint(join(dir, 'missing.json'))).toThrow(/does not exist: train one/);
    // The multi-server planner's files are read before the learner starts, each error naming its entry.
    const multi = config({ planner: 'defp', plannerCheckpoint: undefined, multi: { solver: 'mahppo', plannerCheckpoints: [ckpt, join(dir, 'missing.json')] } });
    await expect(LearnerService.start(multi, { runDir: multi.run.dir!, log: () => {} })).rejects.toThrow(
      /partition\.multi\.plannerCheckpoints\[1\] .*missing\.json does not exist: train one with `coknight planner train/,
    );
  });

  it.each([
    ['partition.planner mahppo', {}, 'mahppo (shielded)'],
    [
      'partition.multi.solver mahppo (serverAssign plan, the 1-server file)',
      { planner: 'defp', plannerCheckpoint: undefined, multi: { solver: 'mahppo', plannerCheckpoints: [ckpt] } },
      'multi-server mahppo (shielded; policies for 1 server(s), DEFP otherwise)',
    ],
  ])('with %s the learner places a real actor where the policy says, and keeps step accounting exact', { timeout: 120_000 }, async (_name, over, planner) => {
    const cfg = config(over);
    const learner = await LearnerService.start(cfg, { runDir: cfg.run.dir!, log: () => {} });
    const actor = spawn(
      process.execPath,
      [BIN, 'actor', '--learner', learner.address, '--actor-id', 'a', '--envs', '2', '--device-flops', '1e5', '--link-bytes-per-sec', '1000000'],
      { env: { ...process.env, COKNIGHT_TOKEN: 'mahppo-token' }, stdio: 'ignore' },
    );
    try {
      // What the policy itself plans for this one actor on this learner (unlimited budgets, as configured).
      const m = learner.learner.model;
      const inst = parseMultiInstance({
        inputBytes: m.inputBytes,
        layers: m.layers.map((l) => ({ name: l.name, flops: l.flops, outBytes: l.outBytes })),
        servers: [{ id: 'learner', flops: 1e10, computeBudget: 1e18, ingressBytesPerSec: 1e18 }],
        actors: [{ id: 'a', flops: 1e5, links: [1e6] }],
      });
      const [expected] = planFromCheckpoint(loadPlannerCheckpoint(ckpt), inst, { shield: true });
      expect(expected.y).toBeLessThan(m.K); // trained on slow devices, the policy offloads
      await until(() => (learner.learner.registry.get('a')?.stepsServed ?? 0) > 50, 60_000, 'actor a served by the learner');
      expect(learner.learner.registry.get('a')!.splitPoint).toBe(expected.y);
      const plan = learner.learner.planner.describe();
      expect(plan.planner).toBe(planner);
      expect(plan.assignment).toEqual({ a: expected.y });
      const acc = learner.learner.stepAccounting();
      expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
      expect(acc.duplicates).toBe(0);
    } finally {
      actor.kill('SIGKILL');
      await learner.stop();
      learner.dispose();
    }
  });
});
