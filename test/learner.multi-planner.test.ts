/**
 * The live multi-server planner (distributed.serverAssign: plan): actor and server joins and leaves
 * re-solve the instance the learner knows, and the adapter's plan is exactly the pure solver's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { MultiServerPlanner } from '../src/learner/multi-server-planner.js';
import { SplitCodecs } from '../src/learner/split-codecs.js';
import { codecOptionsFor } from '../src/partition/index.js';
import { plannerFor } from '../src/learner/split-planner.js';
import { createModel, type PolicyModel } from '../src/model/index.js';
import { loadHighs, type Highs } from '../src/partition/milp.js';
import { countViolations, evaluateMulti, parseMultiInstance, solveMultiDefp, solveMultiMilp, type Strategy } from '../src/partition/multi/index.js';
import { planFromCheckpoint, type PlannerCheckpoint } from '../src/partition/multi/mahppo/checkpoint.js';
import { DEFAULT_MAHPPO, trainMahppo } from '../src/partition/multi/mahppo/trainer.js';
import { minatarNetwork } from '../src/partition/networks.js';
import type { Hello } from '../src/transport/index.js';

const hello = (actorId: string, flops: number): Hello => ({
  type: 'Hello',
  protocolVersion: 1,
  actorId,
  token: 't',
  numEnvs: 1,
  obsShape: [10, 10, 4],
  numActions: 3,
  splitPoint: 0,
  profile: { flops, linkBytesPerSec: 1e6 },
});

const ACTORS = { a0: 1e6, a1: 1e5 };

describe('multi-server planner (serverAssign plan)', () => {
  let model: PolicyModel;
  let highs: Highs;
  let total: number;
  beforeAll(async () => {
    await initBackend({ log: () => {} }); // with gradients: the mahppo cases train small policies
    model = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3 });
    highs = await loadHighs();
    total = model.layers.reduce((n, l) => n + l.flops, 0);
  });

  // The learner is slow (1 kFLOP/s); s1 is faster than s0 but its budget holds one actor at y = 0.
  const config = (solver: 'defp' | 'milp' | 'greedy') =>
    validateConfig({
      mode: 'coknight',
      distributed: { serverAssign: 'plan' },
      partition: { edgeFlops: 1e3, multi: { solver, servers: { s0: { flops: 1e10 }, s1: { flops: 1e11, computeBudget: total * 1.5 } } } },
    });

  /** The same instance the adapter should build, solved by the pure solver directly. */
  const direct = (servers: string[], start?: Strategy[]): Strategy[] => {
    const specs: Record<string, { flops: number; computeBudget: number }> = {
      s0: { flops: 1e10, computeBudget: 1e18 },
      s1: { flops: 1e11, computeBudget: total * 1.5 },
    };
    const all = [
      { id: 'learner', flops: 1e3, computeBudget: 1e18, ingressBytesPerSec: 1e18 },
      ...servers.map((id) => ({ id, ...specs[id], ingressBytesPerSec: 1e18 })),
    ];
    const inst = parseMultiInstance({
      inputBytes: model.inputBytes,
      layers: model.layers.map((l) => ({ name: l.name, flops: l.flops, outBytes: l.outBytes })),
      servers: all,
      shareLevels: 4,
      actors: Object.entries(ACTORS).map(([id, flops]) => ({ id, flops, links: all.map(() => 1e6) })),
    });
    return solveMultiDefp(inst, { start: start ?? inst.actors.map(() => ({ server: -1, y: model.K, q: 0 })) }).assignment;
  };
  const names = ['learner', 's0', 's1'];
  const asPlacements = (plan: Strategy[]) =>
    Object.fromEntries(
      Object.keys(ACTORS).map((id, i) => [id, { server: plan[i].y === model.K ? null : names[plan[i].server], splitPoint: plan[i].y, codec: '' }]),
    );

  /** Plays one sequence of events; returns the placements after each. */
  const play = (p: MultiServerPlanner) => {
    const steps: ReturnType<MultiServerPlanner['placements']>[] = [];
    for (const [id, f] of Object.entries(ACTORS)) p.join(id, hello(id, f));
    steps.push(p.placements());
    const toS0 = p.serverJoined('s0');
    steps.push(p.placements());
    p.serverJoined('s1');
    steps.push(p.placements());
    p.serverLeft('s1');
    steps.push(p.placements());
    return { steps, toS0 };
  };

  it('joins and leaves of actors and servers give the pure DEFP solver’s plan, deterministically', () => {
    const p = plannerFor(config('defp'), model, 1e9) as MultiServerPlanner;
    expect(p).toBeInstanceOf(MultiServerPlanner);
    const seen: string[] = [];
    p.onReplan = (r) => seen.push(`${r.reason}: ${r.moves} moves`);
    const { steps, toS0 } = play(p);
    // No server but the slow learner: both actors run locally.
    expect(steps[0]).toEqual({ a0: { server: null, splitPoint: model.K, codec: '' }, a1: { server: null, splitPoint: model.K, codec: '' } });
    // s0 joins: both go to it at y = 0, and the split changes reach the actors already present.
    expect(steps[1]).toEqual({ a0: { server: 's0', splitPoint: 0, codec: '' }, a1: { server: 's0', splitPoint: 0, codec: '' } });
    expect(toS0).toEqual([
      { actorId: 'a0', splitPoint: 0, codec: '' },
      { actorId: 'a1', splitPoint: 0, codec: '' },
    ]);
    expect(steps[1]).toEqual(asPlacements(direct(['s0'])));
    // s1 joins: DEFP from the previous plan moves exactly one actor (s1's budget) to it.
    const onS0 = direct(['s0']);
    expect(steps[2]).toEqual(asPlacements(direct(['s0', 's1'], onS0)));
    expect(Object.values(steps[2]).filter((x) => x.server === 's1')).toHaveLength(1);
    // s1 leaves: its actor goes back to s0.
    expect(steps[3]).toEqual({ a0: { server: 's0', splitPoint: 0, codec: '' }, a1: { server: 's0', splitPoint: 0, codec: '' } });
    expect(p.leave('a0')).toEqual([]);
    expect(p.serverOf('a0')).toBeNull();
    expect(p.replans).toBe(6);
    expect(seen).toEqual([
      'actor a0 joined: 0 moves',
      'actor a1 joined: 0 moves',
      'inference server s0 joined: 2 moves',
      'inference server s1 joined: 1 moves',
      'inference server s1 left: 1 moves',
      'actor a0 left: 0 moves',
    ]);
    expect(p.last!.solveMs).toBeGreaterThanOrEqual(0);
    // Deterministic: the same events give the same plans.
    expect(play(plannerFor(config('defp'), model, 1e9) as MultiServerPlanner).steps).toEqual(steps);
  });

  it('the MILP solver gives the exact optimum of the same instance', async () => {
    const p = plannerFor(config('milp'), model, 1e9, undefined, { highs }) as MultiServerPlanner;
    const { steps } = play(p);
    const specs = { s0: 1e10, s1: 1e11 };
    const all = [
      { id: 'learner', flops: 1e3, computeBudget: 1e18, ingressBytesPerSec: 1e18 },
      ...(['s0', 's1'] as const).map((id) => ({ id, flops: specs[id], computeBudget: id === 's1' ? total * 1.5 : 1e18, ingressBytesPerSec: 1e18 })),
    ];
    const inst = parseMultiInstance({
      inputBytes: model.inputBytes,
      layers: model.layers.map((l) => ({ name: l.name, flops: l.flops, outBytes: l.outBytes })),
      servers: all,
      actors: Object.entries(ACTORS).map(([id, flops]) => ({ id, flops, links: all.map(() => 1e6) })),
    });
    // s1 saves both actors the same time, so which one it takes is a tie: compare the objective.
    const ids = Object.keys(ACTORS);
    const live = ids.map((id) => steps[2][id]);
    const asStrategies = live.map((x) => (x.server === null ? { server: -1, y: model.K, q: 0 } : { server: names.indexOf(x.server), y: x.splitPoint, q: 4 }));
    const exact = evaluateMulti(inst, (await solveMultiMilp(inst)).assignment).objective;
    expect(evaluateMulti(inst, asStrategies).objective).toBeCloseTo(exact, 12);
    expect(live.filter((x) => x.server === 's1')).toHaveLength(1);
    expect(() => plannerFor(config('milp'), model, 1e9)).toThrow(/HiGHS must be loaded/);
  });

  it('actors that report no link (unlimited) all fit on a server with no declared ingress', () => {
    const p = plannerFor(config('defp'), model, 1e9) as MultiServerPlanner;
    p.serverJoined('s0');
    for (const id of ['x0', 'x1', 'x2']) p.join(id, { ...hello(id, 1e6), profile: { flops: 1e6 } });
    expect(Object.values(p.placements())).toEqual([0, 1, 2].map(() => ({ server: 's0', splitPoint: 0, codec: '' })));
  });

  // At 1 MFLOP/s behind 3 kB/s: local 336,896 FLOPs = 0.337 s; y = 0 sends 400 + 512 B = 0.304 s;
  // (1, ae4q4) runs conv + encoder (73,728 + 8,192 FLOPs = 0.082 s) and sends 128 + 512 B (0.213 s) = 0.295 s.
  it("prices the run's feature codecs: behind a slow link every actor goes to s0 at (1, ae4q4), the pure solver's plan", () => {
    const cfg = validateConfig({
      mode: 'coknight',
      distributed: { serverAssign: 'plan', codec: 'ae4q4', codecSplit: 1 },
      partition: { edgeFlops: 1e3, multi: { solver: 'defp', servers: { s0: { flops: 1e10 } } } },
    });
    const codecs = SplitCodecs.fromContract(model, { 1: ['ae4q4'] });
    const p = plannerFor(cfg, model, 1e9, codecs) as MultiServerPlanner;
    p.serverJoined('s0');
    const slow = (id: string): Hello => ({ ...hello(id, 1e6), profile: { flops: 1e6, linkBytesPerSec: 3e3 } });
    const joined = p.join('a0', slow('a0'));
    expect(joined).toMatchObject({ splitPoint: 1, codec: 'ae4q4' });
    p.join('a1', slow('a1'));
    expect(p.placements()).toEqual({ a0: { server: 's0', splitPoint: 1, codec: 'ae4q4' }, a1: { server: 's0', splitPoint: 1, codec: 'ae4q4' } });
    // The same instance solved directly: split 1 offers only the codec (the learner trains it there).
    const layers = model.layers.map((l, i) => ({
      name: l.name,
      flops: l.flops,
      outBytes: l.outBytes,
      ...(i === 0 ? { plain: false, codecs: codecOptionsFor(l.outShape, ['ae4q4']) } : {}),
    }));
    const servers = [
      { id: 'learner', flops: 1e3, computeBudget: 1e18, ingressBytesPerSec: 1e18 },
      { id: 's0', flops: 1e10, computeBudget: 1e18, ingressBytesPerSec: 1e18 },
    ];
    const inst = parseMultiInstance({
      inputBytes: model.inputBytes,
      layers,
      servers,
      actors: ['a0', 'a1'].map((id) => ({ id, flops: 1e6, links: [3e3, 3e3] })),
    });
    const pure = solveMultiDefp(inst, { start: inst.actors.map(() => ({ server: -1, y: model.K, q: 0 })) }).assignment;
    expect(pure.map((s) => [s.server, s.y, s.codec])).toEqual([
      [1, 1, 'ae4q4'],
      [1, 1, 'ae4q4'],
    ]);
    expect(evaluateMulti(inst, pure).objective).toBeCloseTo(2 * (81_920 / 1e6 + 271_360 / 1e10 + 640 / 3e3), 12);
    expect(
      evaluateMulti(
        inst,
        inst.actors.map(() => ({ server: 1, y: 0, q: 4 })),
      ).objective,
    ).toBeCloseTo(2 * (336_896 / 1e10 + 912 / 3e3), 12);
    codecs.dispose();
  });

  /** A MAHPPO planner file's contents for `servers` servers (the learner included), trained briefly here. */
  const trained = async (servers: number, shareLevels = 4): Promise<PlannerCheckpoint> => {
    const fleet = { network: minatarNetwork(), servers, actors: [2, 4] as const, shareLevels };
    const { policy } = await trainMahppo({ ...DEFAULT_MAHPPO, fleet, iterations: 2, episodesPerIteration: 4, epochs: 1, seed: 11 });
    const c = { format: 'coknight-mahppo/1' as const, network: 'minatar', servers, shareLevels, shape: policy.shape, weights: await policy.save() };
    return c;
  };

  it('solver mahppo plans with the policy for the current server count behind the shields, and with DEFP where it has none', async () => {
    const [one, two] = [await trained(1), await trained(2)];
    const cfg = validateConfig({
      mode: 'coknight',
      distributed: { serverAssign: 'plan' },
      partition: {
        edgeFlops: 1e3,
        multi: {
          solver: 'mahppo',
          plannerCheckpoints: ['one.json', 'two.json'],
          servers: { s0: { flops: 1e10 }, s1: { flops: 1e11, computeBudget: total * 1.5 } },
        },
      },
    });
    const p = plannerFor(cfg, model, 1e9, undefined, { policies: [one, two] }) as MultiServerPlanner;
    expect(p.describe().planner).toBe('multi-server mahppo (shielded; policies for 1, 2 server(s), DEFP otherwise)');
    const seen: string[] = [];
    p.onReplan = (r) => seen.push(`${r.solver}${r.fallback ? ` / ${r.fallback}` : ''}`);
    const { steps } = play(p);
    // The instance the adapter builds (an undeclared ingress is 2 × (1 + Σ links): it never binds).
    const ingress = 2 * (1 + 2e6);
    const instance = (servers: string[]) => {
      const specs: Record<string, { flops: number; computeBudget: number }> = {
        s0: { flops: 1e10, computeBudget: 1e18 },
        s1: { flops: 1e11, computeBudget: total * 1.5 },
      };
      const all = [
        { id: 'learner', flops: 1e3, computeBudget: 1e18, ingressBytesPerSec: ingress },
        ...servers.map((id) => ({ id, ...specs[id], ingressBytesPerSec: ingress })),
      ];
      return parseMultiInstance({
        inputBytes: model.inputBytes,
        layers: model.layers.map((l) => ({ name: l.name, flops: l.flops, outBytes: l.outBytes })),
        servers: all,
        shareLevels: 4,
        actors: Object.entries(ACTORS).map(([id, flops]) => ({ id, flops, links: all.map(() => 1e6) })),
      });
    };
    const byPolicy = (c: PlannerCheckpoint, servers: string[]) => planFromCheckpoint(c, instance(servers), { shield: true });
    // Learner alone: the 1-server policy; with s0: the 2-server policy (both shielded: never over a budget).
    expect(steps[0]).toEqual(asPlacements(byPolicy(one, [])));
    expect(steps[1]).toEqual(asPlacements(byPolicy(two, ['s0'])));
    expect(steps[3]).toEqual(asPlacements(byPolicy(two, ['s0'])));
    for (const [c, servers] of [
      [one, []],
      [two, ['s0']],
    ] as const)
      expect(countViolations(instance([...servers]), byPolicy(c, [...servers]))).toBe(0);
    // Three servers (learner, s0, s1): no file covers that count, so DEFP plans from the previous plan, and says so.
    const prev = steps[1];
    const start = Object.keys(ACTORS).map((id) => {
      const x = prev[id];
      return x.server === null
        ? { server: -1, y: model.K, q: 0 }
        : { server: names.indexOf(x.server), y: x.splitPoint, q: byPolicy(two, ['s0'])[Object.keys(ACTORS).indexOf(id)].q };
    });
    expect(steps[2]).toEqual(asPlacements(solveMultiDefp(instance(['s0', 's1']), { start }).assignment));
    expect(seen).toEqual([
      'mahppo (shielded)',
      'mahppo (shielded)',
      'mahppo (shielded)',
      'defp / no MAHPPO policy for 3 server(s) (files cover 1, 2): planned by DEFP',
      'mahppo (shielded)',
    ]);
  });

  it('solver mahppo refuses files that do not fit the run before it starts, naming the entry', async () => {
    const cfg = (shareLevels = 4) =>
      validateConfig({
        mode: 'coknight',
        distributed: { serverAssign: 'plan' },
        partition: { multi: { solver: 'mahppo', shareLevels, plannerCheckpoints: ['a.json', 'b.json'] } },
      });
    expect(() => validateConfig({ mode: 'coknight', distributed: { serverAssign: 'plan' }, partition: { multi: { solver: 'mahppo' } } })).toThrow(
      /partition\.multi\.plannerCheckpoints: partition\.multi\.solver is mahppo but no plannerCheckpoints are given: train one per server count with `coknight planner train --servers N/,
    );
    expect(() =>
      validateConfig({ mode: 'coknight', distributed: { serverAssign: 'plan' }, partition: { planner: 'mahppo', plannerCheckpoint: 'x.json' } }),
    ).toThrow(/set partition\.multi\.solver to mahppo \(or shielded-marl: the actors ask\) with partition\.multi\.plannerCheckpoints/);
    const one = await trained(1);
    expect(() => plannerFor(cfg(), model, 1e9)).toThrow(/plannerCheckpoints\) must be loaded/);
    expect(() => plannerFor(cfg(), model, 1e9, undefined, { policies: [one, one] })).toThrow(/plannerCheckpoints\[1\]: a second planner for 1 server\(s\)/);
    expect(() => plannerFor(cfg(8), model, 1e9, undefined, { policies: [one] })).toThrow(
      /plannerCheckpoints\[0\]: trained with 4 share levels, partition\.multi\.shareLevels is 8/,
    );
    const wrongNet = { ...one, shape: { ...one.shape, splits: one.shape.splits + 1 } };
    expect(() => plannerFor(cfg(), model, 1e9, undefined, { policies: [wrongNet] })).toThrow(
      /plannerCheckpoints\[0\] does not fit this run: it was trained for a 3-layer network \(minatar\), this one has K = 2; train one for the minatar network with --servers 1/,
    );
  });

  it('refuses bad configs with the field named', () => {
    expect(() => validateConfig({ mode: 'seed', distributed: { serverAssign: 'plan' } })).toThrow(/distributed\.serverAssign.*needs mode coknight/s);
    expect(() => validateConfig({ mode: 'coknight', distributed: { serverAssign: 'plan' }, partition: { multi: { solver: 'lp' } } })).toThrow(
      /partition\.multi\.solver/,
    );
    expect(() =>
      validateConfig({ mode: 'coknight', distributed: { serverAssign: 'plan' }, partition: { multi: { servers: { s0: { flops: 'fast' } } } } }),
    ).toThrow(/partition\.multi\.servers\.s0\.flops/);
    expect(() =>
      plannerFor(validateConfig({ mode: 'coknight', distributed: { serverAssign: 'plan' }, partition: { multi: { servers: { learner: {} } } } }), model, 1e9),
    ).toThrow(/partition\.multi\.servers\.learner/);
  });
});
