/**
 * SROLE-style shielded MARL live (partition.planner: shielded-marl): each actor runs the policy on its
 * own observation and sends its request in Hello.profile.proposal; the learner's shield grants or
 * substitutes it and never exceeds the compute budget; hostile requests are refused by name. A policy
 * trained here through the shields, real actor processes and a real learner.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proposeSplit } from '../src/actor/proposal.js';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { MahppoPlanner } from '../src/learner/mahppo-planner.js';
import { createModel, networkSpecFromName } from '../src/model/index.js';
import type { PolicyModel } from '../src/model/index.js';
import { minatarNetwork } from '../src/partition/networks.js';
import { evaluateMulti, parseMultiInstance, serverFlops, shieldActions, type Strategy } from '../src/partition/multi/index.js';
import { proposeFromCheckpoint, type PlannerCheckpoint } from '../src/partition/multi/mahppo/checkpoint.js';
import { DEFAULT_MAHPPO, trainMahppo } from '../src/partition/multi/mahppo/trainer.js';
import { LearnerService } from '../src/run/learner-service.js';
import { loadPlannerCheckpoint, writePlannerCheckpoint } from '../src/run/planner-file.js';
import { connectInference, ProtocolError } from '../src/transport/index.js';
import { helloWith, slowActors } from './helpers/proposing-actors.js';
import { until } from './helpers/wait.js';

const TOKEN = 'srole-token';
const dir = mkdtempSync(join(tmpdir(), 'ck-srole-'));
const ckptPath = join(dir, 'shielded-marl-minatar.json');
// 0.1 MFLOP/s devices on 1 MB/s links: the MinAtar net takes seconds locally, under a millisecond offloaded.
const SLOW = [{ name: 'slow', flops: 1e5, linkMin: 1e6, linkMax: 1e6, weight: 1 }];
const EDGE = 1e10;
let ckpt: PlannerCheckpoint;
let model: PolicyModel;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  const fleet = { network: minatarNetwork(), servers: 1, actors: [2, 6] as const, shareLevels: 4, profiles: SLOW };
  const reward = { beta: 0, collisionPenalty: 0.5, shield: true };
  const { policy } = await trainMahppo({ ...DEFAULT_MAHPPO, fleet, reward, iterations: 60, episodesPerIteration: 8, epochs: 4, seed: 5 });
  await writePlannerCheckpoint(ckptPath, policy, { network: 'minatar', servers: 1, shareLevels: 4, trainedThroughShields: true });
  ckpt = loadPlannerCheckpoint(ckptPath);
  model = createModel(networkSpecFromName('minatar', 'test'), { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
  expect(model.K).toBeGreaterThan(1);
}, 120_000);
afterAll(() => model?.dispose());

/** The planning instance the learner sends actors (its layers as the planner prices them), without actors. */
function plannerBase(): Record<string, unknown> {
  const p = new MahppoPlanner(model, config({}), EDGE, ckpt, undefined, true);
  return JSON.parse(JSON.stringify(p.planningContext()!.instance)) as Record<string, unknown>;
}
/** A budget that one actor offloading at y = 0 fits and a second does not. */
const oneAtZero = () => 1.5 * serverFlops(parseMultiInstance({ ...plannerBase(), actors: [{ id: 'x', flops: 1, links: [1] }] }), 0);

const config = (partition: Record<string, unknown>, runDir = mkdtempSync(join(tmpdir(), 'ck-srole-run-'))) =>
  validateConfig(
    {
      mode: 'coknight',
      frames: 100_000,
      seed: 3,
      env: { id: 'minatar/breakout' },
      hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
      distributed: { actors: 1, envsPerActor: 2, maxWaitMs: 2, token: TOKEN },
      run: { dir: runDir, progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      partition: { planner: 'shielded-marl', plannerCheckpoint: ckptPath, edgeFlops: EDGE, ...partition },
    },
    'test',
  );

const hello = helloWith(TOKEN);

describe('shielded MARL as the live planner (decentralised requests, shield at the learner)', () => {
  it('a bad config fails before anything starts, naming the field and the fix', () => {
    expect(() => validateConfig({ mode: 'coknight', partition: { planner: 'shielded-marl' } }, 'test')).toThrow(
      /partition\.plannerCheckpoint: partition\.planner is shielded-marl but no plannerCheckpoint is given: train one with `coknight planner train --shield/,
    );
    expect(() =>
      validateConfig({ mode: 'coknight', distributed: { serverAssign: 'plan' }, partition: { planner: 'shielded-marl', plannerCheckpoint: 'x' } }, 'test'),
    ).toThrow(/partition\.planner: distributed\.serverAssign 'plan' solves with partition\.multi\.solver/);
  });

  it("an actor's request is the policy's mode on its own observation, the same after the JSON trip of the Contract reply", () => {
    const planner = new MahppoPlanner(model, config({}), EDGE, ckpt, undefined, true);
    const ctx = planner.planningContext()!;
    expect(ctx.actors).toBe(0);
    expect(Object.keys(ctx.checkpoint as PlannerCheckpoint['weights']).length).toBeGreaterThan(0);
    // The critic stays with the learner: the actor gets the policy's weights only.
    expect(Object.keys((ctx.checkpoint as PlannerCheckpoint).weights).some((k) => k.startsWith('c1.'))).toBe(false);
    const profile = { flops: 1e5, linkBytesPerSec: 1e6 };
    const alone = parseMultiInstance({ ...plannerBase(), actors: [{ id: 'x', flops: 1e5, links: [1e6] }] });
    const expected = proposeFromCheckpoint(ckpt, alone, 0, 1);
    const named = (x: { server: number }) => (x.server >= 0 ? { serverId: 'learner' } : {});
    expect(proposeSplit(JSON.parse(JSON.stringify(ctx)), profile)).toEqual({ server: expected.server, y: expected.y, q: expected.q, ...named(expected) });
    expect(expected.y).toBeLessThan(model.K); // trained on slow devices, the policy offloads
    // After two joins the third actor's observation carries n = 3.
    planner.join('a', hello('a', { ...profile, proposal: { server: expected.server, y: expected.y, q: expected.q } }));
    planner.join('b', hello('b', {}));
    const later = planner.planningContext()!;
    expect(later.actors).toBe(2);
    const third = proposeFromCheckpoint(ckpt, alone, 0, 3);
    expect(proposeSplit(later, profile)).toEqual({
      server: third.server,
      y: third.y,
      q: third.q,
      ...(third.codec ? { codec: third.codec } : {}),
      ...named(third),
    });
    expect(planner.describe().planner).toBe('shielded marl (decentralised: 1 of 2 requests from the actors, 0 substituted by the shield)');
    // No measured FLOP/s: nothing of its own to decide on, the learner proposes for it.
    expect(proposeSplit(later, {})).toBeUndefined();
  });

  it('the shield grants requests inside the compute budget, substitutes the colliding ones, and gives a request back when the holder leaves', () => {
    const budget = oneAtZero();
    const planner = new MahppoPlanner(model, config({ computeBudget: budget }), EDGE, ckpt, undefined, true);
    const ask: Strategy = { server: 0, y: 0, q: 4 };
    const ids = ['a', 'b', 'c'];
    const joins = ids.map((id) => planner.join(id, hello(id, { flops: 1e5, linkBytesPerSec: 1e6, proposal: ask })));
    // Equal gains: the shield grants in actor order, so a holds y = 0 and b, c got something else.
    expect(joins[0].splitPoint).toBe(0);
    const plan = planner.describe();
    expect(plan.assignment.a).toBe(0);
    expect(plan.assignment.b).not.toBe(0);
    expect(plan.assignment.c).not.toBe(0);
    expect(plan.planner).toMatch(/3 of 3 requests from the actors, 2 substituted by the shield/);
    const inst = parseMultiInstance({
      ...plannerBase(),
      servers: [{ id: 'learner', flops: EDGE, computeBudget: budget, ingressBytesPerSec: 1e18 }],
      actors: ids.map((id) => ({ id, flops: 1e5, links: [1e6] })),
    });
    const shielded = shieldActions(
      inst,
      ids.map(() => ask),
    ).assignment;
    expect(ids.map((id) => plan.assignment[id])).toEqual(shielded.map((s) => s.y));
    expect(evaluateMulti(inst, shielded).violations).toEqual([]);
    // a leaves: b's standing request now fits, and the plan moves b to it.
    const changes = planner.leave('a');
    expect(changes).toContainEqual(expect.objectContaining({ actorId: 'b', splitPoint: 0 }));
    expect(planner.describe().assignment.b).toBe(0);
    expect(planner.describe().assignment.c).not.toBe(0);
  });

  it.each([
    [{ server: 3, y: 0, q: 1 }, /Hello\.profile\.proposal \(server 3, y 0, codec f32, share 1\) is not a strategy of this learner's plan/],
    [{ server: 0, y: 99, q: 1 }, /Hello\.profile\.proposal \(server 0, y 99/],
    [{ server: 0, y: 0, q: 1, serverId: 's9' }, /Hello\.profile\.proposal\.serverId "s9" is not server 0 of this learner's plan \(learner\)/],
    [{ server: 0, y: 1, q: 9 }, /share 9\) is not a strategy/],
    [{ server: 0, y: 1, q: 1, codec: 'ae4q4' }, /codec ae4q4, share 1\) is not a strategy/],
    [{ server: -1, y: 0, q: 0 }, /server -1, y 0/],
    [{ server: 0, y: 1, q: -2 }, /Hello\.profile\.proposal\.q/],
  ])('a hostile request %j is refused before anything is allocated, naming the field', (proposal, message) => {
    const planner = new MahppoPlanner(model, config({}), EDGE, ckpt, undefined, true);
    const h = hello('evil', { flops: 1e5, proposal });
    expect(() => planner.check('evil', h)).toThrow(ProtocolError);
    expect(() => planner.check('evil', h)).toThrow(message);
    expect(planner.describe().assignment).toEqual({});
    expect(planner.planningContext()!.actors).toBe(0);
  });

  it(
    'real actor processes propose for themselves; the learner places them behind the shield, refuses a hostile Hello and keeps accounting exact',
    { timeout: 120_000 },
    async () => {
      const cfg = config({ computeBudget: oneAtZero() });
      const logs: string[] = [];
      const learner = await LearnerService.start(cfg, { runDir: cfg.run.dir!, log: (l) => logs.push(l) });
      const spawned = slowActors(learner.address, TOKEN);
      const start = spawned.start;
      try {
        const reg = learner.learner.registry;
        start('a');
        await until(() => reg.get('a')?.ctx !== undefined, 60_000, 'actor a registered');
        start('b');
        await until(() => reg.get('b')?.ctx !== undefined, 60_000, 'actor b registered');
        // What each actor's own policy asked (a before anyone, b after a), behind the shield.
        const live = JSON.parse(JSON.stringify(learner.learner.planner.planningContext!()!.instance)) as Record<string, unknown>;
        const alone = parseMultiInstance({ ...live, actors: [{ id: 'x', flops: 1e5, links: [1e6] }] });
        const asks = [proposeFromCheckpoint(ckpt, alone, 0, 1), proposeFromCheckpoint(ckpt, alone, 0, 2)];
        const inst = parseMultiInstance({ ...live, actors: ['a', 'b'].map((id) => ({ id, flops: 1e5, links: [1e6] })) });
        const expected = shieldActions(inst, asks).assignment;
        expect(evaluateMulti(inst, expected).violations).toEqual([]);
        // Trained through the shields, the policy offloads while the budget is loose: both ask for y = 0,
        // which only one fits, so the shield grants a's and substitutes b's.
        expect(asks.map((s) => s.y)).toEqual([0, 0]);
        expect(expected[0].y).toBe(0);
        expect(expected[1].y).not.toBe(0);
        const plan = learner.learner.planner.describe();
        expect(plan.planner).toBe('shielded marl (decentralised: 2 of 2 requests from the actors, 1 substituted by the shield)');
        expect(plan.assignment).toEqual({ a: expected[0].y, b: expected[1].y });
        const out = spawned.output();
        expect(out).toMatch(/\[actor a\] my policy asks for split 0, share \d \(decentralised plan, 0 actor\(s\) registered before me\)/);
        expect(out).toMatch(/\[actor b\] my policy asks for split 0, share \d \(decentralised plan, 1 actor\(s\) registered before me\)/);

        // A hostile Hello (a strategy the plan does not have) is refused with its field named; the others keep stepping.
        const evil = connectInference({
          address: learner.address,
          token: TOKEN,
          hello: {
            actorId: 'evil',
            numEnvs: 2,
            obsShape: [...learner.learner.model.inputShape],
            numActions: learner.learner.model.numActions,
            splitPoint: 0,
            profile: { flops: 1e5, proposal: { server: 7, y: 0, q: 1 } },
          },
          backoff: { maxAttempts: 1 },
        });
        await expect(evil.ready()).rejects.toThrow(/Hello\.profile\.proposal \(server 7, y 0, codec f32, share 1\) is not a strategy/);
        evil.close();
        expect(reg.get('evil')).toBeUndefined();
        expect(logs.some((l) => /refused actor evil .*Hello\.profile\.proposal/.test(l))).toBe(true);
        const before = learner.learner.stepAccounting().trained;
        await until(() => learner.learner.stepAccounting().trained > before, 60_000, 'the learner keeps training on the actors');
        const acc = learner.learner.stepAccounting();
        expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
        expect(acc.duplicates).toBe(0);
      } finally {
        spawned.killAll();
        await learner.stop();
        learner.dispose();
      }
    },
  );
});
