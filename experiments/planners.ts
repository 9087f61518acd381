/**
 * Issue 21's planner study: DEFP (best-response dynamics), greedy, the exact MILP, MAHPPO (raw and
 * behind the shields) and SROLE-style shielded MARL (trained through the shields; also as the live
 * planner runs it, each actor asking once when it joins) on multi-server
 * instances drawn from the simulator's device classes, the IMPALA deep net at 84×84. Latency saved,
 * budget violations, planning and re-planning time; MAHPPO's training curves with and without shields.
 *
 *   npx tsx experiments/planners.ts --quick     # 2 servers, 10–100 actors, short training (minutes)
 *   npx tsx experiments/planners.ts --full      # 1–8 servers, 10–1000 actors
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { impalaDeepNetwork } from '../src/partition/networks.js';
import { shieldActions, solveMultiDefp, solveMultiGreedy, solveMultiMilp, type MultiInstance, type Strategy } from '../src/partition/multi/index.js';
import { parsePlannerCheckpoint, proposeFromCheckpoint, type PlannerCheckpoint } from '../src/partition/multi/mahppo/checkpoint.js';
import { drawFleet, type FleetOptions } from '../src/partition/multi/mahppo/environment.js';
import { DEFAULT_MAHPPO, planMahppo, trainMahppo, type IterationLog } from '../src/partition/multi/mahppo/trainer.js';
import { lineChart, svgToPng } from '../src/plot/index.js';
import { Rng } from '../src/util/rng.js';
import { markdown, sample, summarise, type PlanSample } from './planners/compare.js';
import { measureReplans, type ReplanRow } from './planners/replan.js';

const full = process.argv.includes('--full');
const cfg = full
  ? { servers: [1, 2, 4, 8], actors: [10, 30, 100, 300, 1000], iterations: 200, trainActors: [10, 100] as const, instances: 8, milpMaxActors: 100 }
  : { servers: [2], actors: [10, 30, 100], iterations: 50, trainActors: [10, 40] as const, instances: 4, milpMaxActors: 30 };
// --servers 1,2 --actors 10,30 --iterations 50 --instances 2: a reduced grid (to time it before --full).
const flag = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const list = (v: string | undefined) => v?.split(',').map(Number);
Object.assign(cfg, {
  ...(flag('servers') ? { servers: list(flag('servers')) } : {}),
  ...(flag('actors') ? { actors: list(flag('actors')) } : {}),
  ...(flag('iterations') ? { iterations: Number(flag('iterations')) } : {}),
  ...(flag('instances') ? { instances: Number(flag('instances')) } : {}),
});
const out = flag('out') ?? join('experiments', 'results', full ? 'planners' : 'planners-quick');
mkdirSync(out, { recursive: true });
await initBackend({ prefer: 'wasm', threads: 1 });
const network = impalaDeepNetwork();
const Q = 4;
const now = () => performance.now();

const samples: PlanSample[] = [];
const training: Record<string, IterationLog[]> = {};
const trainSeconds: Record<string, number> = {};
const replan: ReplanRow[] = [];
for (const S of cfg.servers) {
  const fleet: FleetOptions = { network, servers: S, actors: cfg.trainActors, shareLevels: Q };
  const policies: Record<string, Awaited<ReturnType<typeof trainMahppo>>['policy']> = {};
  const files: Record<string, PlannerCheckpoint> = {};
  for (const shield of [false, true]) {
    const name = `${shield ? 'shielded-marl' : 'mahppo'}-S${S}`;
    const t0 = now();
    const r = await trainMahppo({ ...DEFAULT_MAHPPO, fleet, iterations: cfg.iterations, reward: { beta: 0, collisionPenalty: 0.5, shield }, seed: 7 });
    trainSeconds[name] = (now() - t0) / 1000;
    training[name] = r.log;
    policies[shield ? 'shielded' : 'raw'] = r.policy;
    const file = {
      format: 'coknight-mahppo/1',
      network: network.name,
      servers: S,
      shareLevels: Q,
      shape: r.policy.shape,
      weights: await r.policy.save(),
      trainedThroughShields: shield,
    };
    files[shield ? 'shielded' : 'raw'] = parsePlannerCheckpoint(file, name);
    writeFileSync(join(out, `${name}.json`), `${JSON.stringify(file)}\n`);
    console.log(`[planners] trained ${name} in ${trainSeconds[name].toFixed(0)} s; last reward ${r.log.at(-1)!.meanReward.toFixed(3)}`);
  }
  const rng = new Rng(1000 + S);
  for (const n of cfg.actors) {
    for (let e = 0; e < cfg.instances; e++) {
      const inst: MultiInstance = drawFleet({ ...fleet, actors: [n, n] }, rng);
      const timed = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => {
        const t0 = now();
        const v = await f();
        return [v, now() - t0];
      };
      const [g, tg] = await timed(() => solveMultiGreedy(inst));
      samples.push(sample(inst, 'greedy', g, tg));
      const [d, td] = await timed(() => solveMultiDefp(inst));
      samples.push(sample(inst, 'defp', d.assignment, td));
      let milpPlan: Strategy[] | undefined;
      if (n <= cfg.milpMaxActors) {
        const [m, tm] = await timed(() => solveMultiMilp(inst, { timeLimitSec: 20 }));
        milpPlan = m.assignment;
        samples.push(sample(inst, m.optimal ? 'milp' : 'milp (time limit)', m.assignment, tm));
      }
      const [raw, tr] = await timed(() => planMahppo(policies.raw, inst, { shield: false }));
      samples.push(sample(inst, 'mahppo (no shield)', raw.assignment, tr));
      const [sh, ts] = await timed(() => planMahppo(policies.raw, inst, { shield: true }));
      samples.push(sample(inst, 'mahppo + shield', sh.assignment, ts));
      const [ms, tms] = await timed(() => planMahppo(policies.shielded, inst, { shield: true }));
      samples.push(sample(inst, 'shielded marl', ms.assignment, tms));
      // As partition.planner shielded-marl runs live: each actor asked once, when it joined (actor i saw
      // i + 1 actors), from the file's weights; the shield grants the standing requests. Timed whole
      // (all n proposals and the shield), though live the proposals run on the devices.
      const [live, tl] = await timed(() =>
        shieldActions(
          inst,
          inst.actors.map((_, i) => proposeFromCheckpoint(files.shielded, inst, i, i + 1)),
        ),
      );
      samples.push(sample(inst, 'shielded marl (live: asked at join)', live.assignment, tl));
      if (e === 0) {
        // Re-planning after a join or leave (experiments/planners/replan.ts): DEFP warm-starts from its plan.
        const policy = (pol: (typeof policies)['raw'], plan: Strategy[]) => ({
          plan,
          solve: async (i: MultiInstance) => (await planMahppo(pol, i, { shield: true })).assignment,
          // A policy's server head is trained for S servers: without one it has no plan.
          skip: (ev: string) => ev === 'server leave',
        });
        replan.push(
          ...(await measureReplans(inst, {
            'defp (warm)': { plan: d.assignment, solve: (i, start) => solveMultiDefp(i, { start }).assignment },
            greedy: { plan: g, solve: (i) => solveMultiGreedy(i) },
            ...(milpPlan ? { milp: { plan: milpPlan, solve: async (i: MultiInstance) => (await solveMultiMilp(i, { timeLimitSec: 20 })).assignment } } : {}),
            'mahppo + shield': policy(policies.raw, sh.assignment),
            'shielded marl': policy(policies.shielded, ms.assignment),
          })),
        );
      }
    }
    console.log(`[planners] S=${S} n=${n} done`);
  }
}

const cells = summarise(samples);
const table = markdown(cells);
writeFileSync(join(out, 'planners.json'), `${JSON.stringify({ full, config: cfg, cells, replan, trainSeconds, training, samples }, null, 2)}\n`);
writeFileSync(join(out, 'table.md'), `${table}\n`);
const replanTable = [
  '| servers | actors | event | planner | solve ms | actors moved | settle ms (solve + slowest move) |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...replan.map((r) => `| ${r.servers} | ${r.actors} | ${r.event} | ${r.planner} | ${r.solveMs.toFixed(2)} | ${r.moved} | ${r.settleMs.toFixed(1)} |`),
].join('\n');
writeFileSync(join(out, 'replan.md'), `${replanTable}\n`);
const write = async (name: string, svg: string) => {
  writeFileSync(join(out, `${name}.svg`), svg);
  writeFileSync(join(out, `${name}.png`), svgToPng(svg));
};
const planners = [...new Set(cells.map((c) => c.planner))];
for (const S of cfg.servers) {
  const series = (f: (c: (typeof cells)[number]) => number) =>
    planners
      .map((p) => ({ name: p, points: cells.filter((c) => c.planner === p && c.servers === S).map((c) => [c.actors, f(c)] as const) }))
      .filter((s) => s.points.length > 0);
  await write(
    `latency-S${S}`,
    await lineChart({
      title: `${S} server(s): latency saved vs all-local`,
      xLabel: 'actors',
      yLabel: 'share of all-local latency saved',
      logX: true,
      series: series((c) => c.meanLatencyReduction),
    }),
  );
  await write(
    `violations-S${S}`,
    await lineChart({
      title: `${S} server(s): plans that break a budget`,
      xLabel: 'actors',
      yLabel: 'share of plans infeasible',
      logX: true,
      series: series((c) => c.infeasibleShare),
    }),
  );
  await write(
    `plan-time-S${S}`,
    await lineChart({
      title: `${S} server(s): planning time`,
      xLabel: 'actors',
      yLabel: 'ms (median)',
      logX: true,
      logY: true,
      series: series((c) => Math.max(c.medianPlanMs, 1e-3)),
    }),
  );
}
for (const event of ['actor join', 'actor leave', 'server join', 'server leave'] as const) {
  const S = Math.max(...cfg.servers);
  const rows = replan.filter((r) => r.servers === S && r.event === event);
  if (rows.length === 0) continue;
  await write(
    `replan-${event.replace(' ', '-')}-S${S}`,
    await lineChart({
      title: `${S} server(s): re-planning after an ${event} (solve + slowest move)`,
      xLabel: 'actors',
      yLabel: 'ms',
      logX: true,
      logY: true,
      series: [...new Set(rows.map((r) => r.planner))].map((p) => ({
        name: p,
        points: rows.filter((r) => r.planner === p).map((r) => [r.actors, Math.max(r.settleMs, 1e-3)] as const),
      })),
    }),
  );
}
await write(
  'training',
  await lineChart({
    title: 'MAHPPO training on the simulator: mean reward per iteration',
    xLabel: 'iteration',
    yLabel: 'mean reward (latency saved − collision penalty)',
    series: Object.entries(training).map(([name, log]) => ({ name, points: log.map((l) => [l.iteration, l.meanReward] as const) })),
  }),
);
await write(
  'training-collisions',
  await lineChart({
    title: 'Episodes whose raw joint action broke a budget',
    xLabel: 'iteration',
    yLabel: 'share of episodes',
    series: Object.entries(training).map(([name, log]) => ({ name, points: log.map((l) => [l.iteration, l.collisionRate] as const) })),
  }),
);
console.log(table);
console.log(`[planners] results in ${out}`);
