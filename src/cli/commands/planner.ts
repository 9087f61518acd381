import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { initBackend } from '../../backend/index.js';
import { NETWORKS } from '../../partition/networks.js';
import { resolveNetwork } from '../../partition/simulate.js';
import {
  evaluateMulti,
  parseMultiInstance,
  solveMultiDefp,
  solveMultiGreedy,
  solveMultiMilp,
  type MultiInstance,
  type Strategy,
} from '../../partition/multi/index.js';
import { planFromCheckpoint } from '../../partition/multi/mahppo/checkpoint.js';
import { DEFAULT_MAHPPO, trainMahppo } from '../../partition/multi/mahppo/trainer.js';
import { loadPlannerCheckpoint, writePlannerCheckpoint } from '../../run/planner-file.js';
import { parseIntArg, parseNumberArg } from '../args.js';

const MULTI_ALGORITHMS = ['defp', 'greedy', 'milp', 'mahppo', 'mahppo-shielded'] as const;
type MultiAlgorithm = (typeof MULTI_ALGORITHMS)[number];

function parseRange(raw: string): readonly [number, number] {
  const m = /^(\d+)(?:,(\d+))?$/.exec(raw);
  if (!m) throw new Error(`--actors: "${raw}" is not N or LO,HI (actors per training episode)`);
  const lo = Number(m[1]);
  const hi = Number(m[2] ?? m[1]);
  if (lo < 1 || hi < lo) throw new Error(`--actors: need 1 <= LO <= HI, got ${raw}`);
  return [lo, hi];
}

/** `coknight planner train|solve`: the learned multi-server planners (issue 21). */
export function registerPlanner(program: Command): void {
  const planner = program.command('planner').description('learned and multi-server planners: train MAHPPO, solve (server, split, codec, share) instances');
  planner
    .command('train')
    .description('train a MAHPPO planner on the cost-model simulator and write its checkpoint')
    .addOption(new Option('--network <name>', 'network whose layer table the planner splits').choices(Object.keys(NETWORKS)).default('minatar'))
    .option('--servers <n>', 'inference servers (1 = a learner serving alone)', parseIntArg('--servers', 1), 1)
    .option('--actors <lo,hi>', 'actors per training episode', '4,32')
    .option('--iterations <n>', 'PPO iterations', parseIntArg('--iterations', 1), DEFAULT_MAHPPO.iterations)
    .option('--share-levels <n>', 'bandwidth share levels Q', parseIntArg('--share-levels', 1), 4)
    .option('--shield', 'train through the shields (SROLE): rewards from the shielded joint action')
    .option(
      '--collision-penalty <x>',
      'reward taken from an actor whose request collided (broke a budget, or was substituted with --shield); high values teach "stay local"',
      parseNumberArg('--collision-penalty', 0),
      0.5,
    )
    .option(
      '--codecs <list>',
      "feature codecs, comma-separated: <id> is offered at every split besides float32 (e.g. q8,ae4q4); <id>@<y> at split y alone, as a live learner holding it there offers it (distributed.codec ae4q4 at y = 1: --codecs ae4q4@1); the policy's codec head chooses among them",
      (v: string) =>
        v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
    )
    .option('--seed <n>', 'seed', parseIntArg('--seed', 0), 1)
    .requiredOption('--out <file>', 'checkpoint to write (JSON)')
    .action(
      async (o: {
        network: string;
        servers: number;
        actors: string;
        iterations: number;
        shareLevels: number;
        shield?: boolean;
        collisionPenalty: number;
        codecs?: string[];
        seed: number;
        out: string;
      }) => {
        const network = resolveNetwork(o.network, o.codecs ?? []); // before the backend: a bad codec fails at once
        await initBackend({ prefer: 'wasm', threads: 1 });
        const fleet = { network, servers: o.servers, actors: parseRange(o.actors), shareLevels: o.shareLevels };
        const { policy, log } = await trainMahppo(
          {
            ...DEFAULT_MAHPPO,
            fleet,
            iterations: o.iterations,
            seed: o.seed,
            reward: { beta: 0, collisionPenalty: o.collisionPenalty, shield: o.shield === true },
          },
          (l) => {
            if (l.iteration % 10 === 0 || l.iteration === o.iterations)
              console.log(
                `iteration ${l.iteration}: mean reward ${l.meanReward.toFixed(3)}, collisions ${(100 * l.collisionRate).toFixed(0)}%, entropy ${l.entropy.toFixed(3)}`,
              );
          },
        );
        await writePlannerCheckpoint(o.out, policy, {
          network: network.name,
          servers: o.servers,
          shareLevels: o.shareLevels,
          trainedThroughShields: o.shield === true,
        });
        console.log(`wrote ${o.out} (${o.network}, ${o.servers} server(s), final reward ${log.at(-1)!.meanReward.toFixed(3)})`);
      },
    );
  planner
    .command('solve')
    .description('plan a multi-server instance (JSON: inputBytes, layers[], servers[], actors[] with links[], shareLevels)')
    .requiredOption('--instance <file>', 'multi-server instance JSON')
    .addOption(new Option('--algorithm <name>', 'planner').choices([...MULTI_ALGORITHMS]).default('defp'))
    .option('--checkpoint <file>', 'MAHPPO checkpoint (mahppo, mahppo-shielded)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { instance: string; algorithm: MultiAlgorithm; checkpoint?: string; json?: boolean }) => {
      const inst: MultiInstance = parseMultiInstance(JSON.parse(readFileSync(o.instance, 'utf8')), o.instance);
      const t0 = performance.now();
      let plan: Strategy[];
      if (o.algorithm === 'defp') plan = solveMultiDefp(inst).assignment;
      else if (o.algorithm === 'greedy') plan = solveMultiGreedy(inst);
      else if (o.algorithm === 'milp') plan = (await solveMultiMilp(inst)).assignment;
      else {
        if (!o.checkpoint) throw new Error(`--algorithm ${o.algorithm} needs --checkpoint <file> (from coknight planner train)`);
        plan = planFromCheckpoint(loadPlannerCheckpoint(o.checkpoint), inst, { shield: o.algorithm === 'mahppo-shielded' });
      }
      const ms = performance.now() - t0;
      const ev = evaluateMulti(inst, plan);
      if (o.json) console.log(JSON.stringify({ algorithm: o.algorithm, plan, ...ev, planMs: ms }));
      else {
        console.log(`${o.algorithm}: ${inst.actors.length} actors, ${inst.servers.length} server(s), planned in ${ms.toFixed(2)} ms`);
        plan.forEach((s, i) =>
          console.log(
            `  ${String(inst.actors[i].id)}: ${s.server < 0 ? 'local (y = K)' : `server ${inst.servers[s.server].id}, y = ${s.y}${s.codec && s.codec !== 'f32' ? `, codec ${s.codec}` : ''}, share ${s.q}/${inst.shareLevels}`}`,
          ),
        );
        console.log(
          `  Σ T_i = ${(ev.objective * 1e3).toFixed(3)} ms, saved ${(ev.latencyReduction * 1e3).toFixed(3)} ms; ${ev.feasible ? 'feasible' : `INFEASIBLE: ${ev.violations.join('; ')}`}`,
        );
      }
      if (!ev.feasible) process.exitCode = 2;
    });
}
