/**
 * SROLE-style shielded MARL over several inference servers (distributed.serverAssign plan,
 * partition.multi.solver shielded-marl): each actor runs the policy for the servers connected when it
 * registers and asks for (server, split, share), naming the server; the shields grant or substitute;
 * an actor whose server left is re-asked by the learner with the policy for the servers left. Policies
 * trained here through the shields; the live case runs a real learner, a real `coknight serve` and two
 * real actor processes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proposeSplit } from '../src/actor/proposal.js';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { MultiServerPlanner } from '../src/learner/multi-server-planner.js';
import { createModel, networkSpecFromName, type PolicyModel } from '../src/model/index.js';
import { minatarNetwork } from '../src/partition/networks.js';
import { evaluateMulti, parseMultiInstance, serverFlops, shieldActions, type Strategy } from '../src/partition/multi/index.js';
import { proposeFromCheckpoint, type PlannerCheckpoint } from '../src/partition/multi/mahppo/checkpoint.js';
import { DEFAULT_MAHPPO, trainMahppo } from '../src/partition/multi/mahppo/trainer.js';
import { LearnerService } from '../src/run/learner-service.js';
import { loadPlannerCheckpoint, writePlannerCheckpoint } from '../src/run/planner-file.js';
import { ProtocolError } from '../src/transport/index.js';
import { serveProcesses } from './helpers/serve-processes.js';
import { helloWith, slowActors } from './helpers/proposing-actors.js';
import { until } from './helpers/wait.js';

const TOKEN = 'srole-multi-token';
const dir = mkdtempSync(join(tmpdir(), 'ck-srole-multi-'));
const files = [join(dir, 'srole-1.json'), join(dir, 'srole-2.json')];
// 0.1 MFLOP/s devices on 1 MB/s links: the MinAtar net takes seconds locally, under a millisecond offloaded.
const SLOW = [{ name: 'slow', flops: 1e5, linkMin: 1e6, linkMax: 1e6, weight: 1 }];
const EDGE = 1e10;
const servers = serveProcesses(TOKEN);
let policies: PlannerCheckpoint[];
let model: PolicyModel;
let atZero: number;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  policies = [];
  for (const [i, count] of [1, 2].entries()) {
    const fleet = { network: minatarNetwork(), servers: count, actors: [2, 6] as const, shareLevels: 4, profiles: SLOW };
    // A light collision penalty: at 0.5 the 2-server policy learns to stay home (reward 0, entropy → 0).
    const reward = { beta: 0, collisionPenalty: 0.1, shield: true };
    const { policy } = await trainMahppo({ ...DEFAULT_MAHPPO, fleet, reward, iterations: 60, episodesPerIteration: 8, epochs: 4, seed: 5 });
    await writePlannerCheckpoint(files[i], policy, { network: 'minatar', servers: count, shareLevels: 4, trainedThroughShields: true });
    policies.push(loadPlannerCheckpoint(files[i]));
  }
  model = createModel(networkSpecFromName('minatar', 'test'), { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
  atZero = model.layers.reduce((n, l) => n + l.flops, 0);
}, 180_000);
afterAll(() => model?.dispose());

/** tight: the learner serves nobody and s1 fits one actor at y = 0 (1.5 forward passes per round). */
const config = (tight = true, runDir = mkdtempSync(join(tmpdir(), 'ck-srole-multi-run-'))) =>
  validateConfig(
    {
      mode: 'coknight',
      frames: 100_000,
      seed: 3,
      inference: 'tfjs',
      env: { id: 'minatar/breakout' },
      hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
      distributed: { actors: 1, envsPerActor: 2, maxWaitMs: 2, token: TOKEN, serverAssign: 'plan' },
      run: { dir: runDir, progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      partition: {
        edgeFlops: EDGE,
        ...(tight ? { computeBudget: 1 } : {}),
        multi: { solver: 'shielded-marl', plannerCheckpoints: files, servers: { s1: { flops: EDGE, ...(tight ? { computeBudget: 1.5 * atZero } : {}) } } },
      },
    },
    'test',
  );

const hello = helloWith(TOKEN);
const SLOW_PROFILE = { flops: 1e5, linkBytesPerSec: 1e6 };

describe('shielded MARL over several inference servers (serverAssign plan, solver shielded-marl)', () => {
  it('a bad config fails before anything starts, naming the field and the fix', () => {
    expect(() =>
      validateConfig({ mode: 'coknight', distributed: { serverAssign: 'plan' }, partition: { multi: { solver: 'shielded-marl' } } }, 'test'),
    ).toThrow(/partition\.multi\.plannerCheckpoints: partition\.multi\.solver is shielded-marl but no plannerCheckpoints are given: .*--servers N --shield/);
  });

  it('actors ask with the policy for the servers connected now, naming the server; the shields grant one s1 place, and a server leave is re-asked by the learner', () => {
    const planner = new MultiServerPlanner(model, config(), EDGE, undefined, undefined, policies);
    planner.serverJoined('s1');
    const ctx = JSON.parse(JSON.stringify(planner.planningContext()!)) as NonNullable<ReturnType<MultiServerPlanner['planningContext']>>;
    expect((ctx.checkpoint as PlannerCheckpoint).servers).toBe(2);
    expect((ctx.instance as { servers: { id: string }[] }).servers.map((s) => s.id)).toEqual(['learner', 's1']);
    // The actor's request is the 2-server policy's mode on its own observation, with s1 named.
    const alone = parseMultiInstance({ ...(ctx.instance as object), actors: [{ id: 'x', flops: 1e5, links: [1e6, 1e6] }] } as never);
    const mode = proposeFromCheckpoint(policies[1], alone, 0, 1);
    const asked = proposeSplit(ctx, SLOW_PROFILE)!;
    expect(asked).toMatchObject({ server: mode.server, y: mode.y, q: mode.q });
    if (mode.server >= 0) expect(asked.serverId).toBe(['learner', 's1'][mode.server]);

    // Three actors ask for y = 0 on s1, which fits one: one granted, two substituted, none over a budget.
    const ask = { server: 1, y: 0, q: 4, serverId: 's1' };
    for (const id of ['a', 'b', 'c']) planner.join(id, hello(id, { ...SLOW_PROFILE, proposal: ask }));
    const placed = planner.placements();
    expect(Object.values(placed).filter((p) => p.server === 's1' && p.splitPoint === 0)).toHaveLength(1);
    expect(planner.describe().planner).toMatch(/^multi-server shielded marl \(decentralised: 3 of 3 requests from the actors, 2 substituted by the shields;/);
    const inst = parseMultiInstance({
      ...(ctx.instance as object),
      actors: ['a', 'b', 'c'].map((id) => ({ id, flops: 1e5, links: [1e6, 1e6] })),
    } as never);
    const onS1 = Object.values(placed).filter((p) => p.server === 's1');
    expect(onS1.reduce((n, p) => n + serverFlops(inst, p.splitPoint), 0)).toBeLessThanOrEqual(1.5 * atZero);

    // An index naming the right slot but a server that is not connected, and a bogus strategy: refused by name.
    expect(() => planner.check('evil', hello('evil', { ...SLOW_PROFILE, proposal: { server: 1, y: 0, q: 4, serverId: 'ghost' } }))).toThrow(
      /Hello\.profile\.proposal\.serverId "ghost" is not a server of this learner's plan \(connected: learner, s1\)/,
    );
    expect(() => planner.check('evil', hello('evil', { ...SLOW_PROFILE, proposal: { server: 5, y: 0, q: 4 } }))).toThrow(ProtocolError);

    // s1 leaves: every request named it, so the learner asks for each with the 1-server policy.
    planner.serverLeft('s1');
    expect(planner.describe().planner).toMatch(/decentralised: 0 of 3 requests from the actors/);
    expect(Object.values(planner.placements()).every((p) => p.server === null)).toBe(true);
    expect(planner.last?.solver).toBe('shielded marl (decentralised)');
    expect(planner.planningContext()!.instance).toMatchObject({ servers: [{ id: 'learner' }] });
  });

  it('with no policy for the servers connected now, actors are told nothing to ask and the learner plans with DEFP, saying so', () => {
    const planner = new MultiServerPlanner(model, config(), EDGE, undefined, undefined, [policies[0]]);
    planner.serverJoined('s1');
    expect(planner.planningContext()).toBeUndefined();
    planner.join('a', hello('a', SLOW_PROFILE));
    expect(planner.last).toMatchObject({ solver: 'defp', fallback: expect.stringMatching(/no MAHPPO policy for 2 server\(s\) \(files cover 1\)/) });
  });

  it(
    'live: two real actors ask with the 2-server policy, one for a real coknight serve; the plan is the shielded requests, s1 serves, accounting stays exact',
    { timeout: 180_000 },
    async () => {
      const cfg = config();
      const logs: string[] = [];
      const serverLogs: string[] = [];
      const learner = await LearnerService.start(cfg, { runDir: cfg.run.dir!, log: (l) => logs.push(l) });
      const spawned = slowActors(learner.address, TOKEN);
      const start = spawned.start;
      try {
        const pool = learner.learner.servers;
        const reg = learner.learner.registry;
        servers.start(learner.address, 's1', serverLogs);
        await until(() => pool.list().some((s) => s.id === 's1'), 60_000, 's1 connected');
        start('a');
        await until(() => reg.get('a')?.ctx !== undefined, 60_000, 'actor a registered');
        start('b');
        await until(() => reg.get('b')?.ctx !== undefined, 60_000, 'actor b registered');
        // What each actor's own 2-server policy asked (a before anyone, b after a), through the shields.
        const planner = learner.learner.planner as MultiServerPlanner;
        const live = JSON.parse(JSON.stringify(planner.planningContext()!.instance)) as object;
        const alone = parseMultiInstance({ ...live, actors: [{ id: 'x', flops: 1e5, links: [1e6, 1e6] }] } as never);
        const asks = [proposeFromCheckpoint(policies[1], alone, 0, 1), proposeFromCheckpoint(policies[1], alone, 0, 2)];
        const inst = parseMultiInstance({ ...live, actors: ['a', 'b'].map((id) => ({ id, flops: 1e5, links: [1e6, 1e6] })) } as never);
        const expected = shieldActions(inst, asks);
        const names = ['learner', 's1'];
        const where = (x: Strategy) => (x.y === model.K ? null : names[x.server] === 'learner' ? null : names[x.server]);
        // With the learner's budget at zero, a asks for y = 0 on s1 (the learner has no budget): s1 serves it.
        expect(asks[0]).toMatchObject({ server: 1, y: 0 });
        expect(expected.assignment[0]).toMatchObject({ server: 1, y: 0 });
        const out = spawned.output();
        expect(out).toMatch(/\[actor a\] my policy asks for split 0 on s1, share \d \(decentralised plan, 0 actor\(s\) registered before me\)/);
        expect(out).toMatch(/\[actor b\] my policy asks for .*\(decentralised plan, 1 actor\(s\) registered before me\)/);
        expect(planner.describe().planner).toMatch(
          new RegExp(`^multi-server shielded marl \\(decentralised: 2 of 2 requests from the actors, ${expected.substituted} substituted by the shields;`),
        );
        expect(planner.placements()).toEqual({
          a: { server: where(expected.assignment[0]), splitPoint: expected.assignment[0].y, codec: '' },
          b: { server: where(expected.assignment[1]), splitPoint: expected.assignment[1].y, codec: '' },
        });
        expect(evaluateMulti(inst, expected.assignment).violations).toEqual([]);
        expect(pool.serverOf('a')).toBe('s1');
        await until(() => (pool.list().find((s) => s.id === 's1')?.stepsServed ?? 0) > 20, 60_000, 's1 serves actor a');
        const before = learner.learner.stepAccounting().trained;
        await until(() => learner.learner.stepAccounting().trained > before, 60_000, 'the learner keeps training on the actors');
        const acc = learner.learner.stepAccounting();
        expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
        expect(acc.duplicates).toBe(0);
      } catch (e) {
        console.error('DEBUG', logs.slice(-40).join('\n'), spawned.output().slice(-3000), serverLogs.join('').slice(-2000));
        throw e;
      } finally {
        spawned.killAll();
        await learner.stop();
        learner.dispose();
      }
    },
  );
});
