import type { Command } from 'commander';
import { Option } from 'commander';
import { readFileSync } from 'node:fs';
import { parseInstance } from '../../partition/instance.js';
import { ALGORITHMS, solvePartition, type Algorithm } from '../../partition/solve.js';
import { parseIntArg, parseNumberArg } from '../args.js';
import { SITE_ALGORITHMS } from '../../partition/coop/index.js';
import { isSiteAlgorithm, isSiteFile, solveSiteCommand } from './site.js';

function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --instance ${path}: ${(err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`--instance ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error(`--instance ${path} must hold a JSON object`);
  return data as Record<string, unknown>;
}

/**
 * Reads instance files and merges them into one instance: the network (inputBytes, layers) must
 * agree where given, `edge` comes from the one file that has it, actors are concatenated (ids
 * unique). So `coknight profile --out dev.json` on each device plus a learner file make an instance.
 */
export function loadInstanceFiles(paths: readonly string[]) {
  const merged: Record<string, unknown> = { actors: [] };
  const from: Record<string, string> = {};
  for (const path of paths) {
    const part = readJson(path);
    for (const key of ['inputBytes', 'layers', 'edge'] as const) {
      if (part[key] === undefined) continue;
      if (merged[key] !== undefined && JSON.stringify(merged[key]) !== JSON.stringify(part[key])) {
        throw new Error(
          `--instance files disagree on "${key}": ${from[key]} and ${path} (profile every device with the same --env, --model and --batch; give the learner's edge once)`,
        );
      }
      merged[key] = part[key];
      from[key] = path;
    }
    if (part.actors !== undefined) {
      if (!Array.isArray(part.actors)) throw new Error(`--instance ${path}: "actors" must be an array`);
      (merged.actors as unknown[]).push(...(part.actors as unknown[]));
    }
  }
  const ids = (merged.actors as { id?: unknown }[]).map((a) => String(a.id));
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new Error(`--instance files list actor "${dup}" twice: give each device its own --id when profiling`);
  if (merged.edge === undefined) {
    throw new Error(
      `no --instance file has the learner's "edge" section ({ flops, computeBudget, bandwidthBudget, delta }): add one, e.g. configs/partition/edge-example.json`,
    );
  }
  return parseInstance(merged, paths.join(' + '));
}

/** Reads and validates one instance file; errors name the file and the field. */
export function loadInstanceFile(path: string) {
  return loadInstanceFiles([path]);
}

/** `coknight partition solve`: solve one multi-actor partition instance with one algorithm. */
export function registerPartition(program: Command): void {
  const partition = program.command('partition').description('multi-actor DNN partition (paper §3.2–4.2): choose each actor’s split point');
  partition
    .command('solve')
    .description('solve a partition instance (JSON) and print the split point of every actor')
    .requiredOption(
      '--instance <files...>',
      'instance JSON: inputBytes, layers[], edge{flops,computeBudget,bandwidthBudget,delta}, actors[]; several files are merged (e.g. `profile --out` of each device + a file with the edge)',
    )
    .addOption(
      new Option('--algorithm <name>', 'solver (mls, lcpss-osds, sls, single, exhaustive: site instances)')
        .choices([...ALGORITHMS, ...SITE_ALGORITHMS])
        .default('defp'),
    )
    .option('--passes <n>', 'DEFP: improvement passes after the arrivals (0 = single sweep)', parseIntArg('--passes', 0), 10)
    .option('--milp-time-limit <s>', 'MILP: wall-clock limit in seconds (best solution so far on timeout)', parseNumberArg('--milp-time-limit', 0), 600)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { instance: string[]; algorithm: Algorithm; passes: number; milpTimeLimit: number; json?: boolean }) => {
      if (isSiteAlgorithm(opts.algorithm) || isSiteFile(opts.instance[0])) {
        return solveSiteCommand(opts.instance[0], opts.algorithm === 'defp' ? 'mls' : opts.algorithm, opts.json === true);
      }
      const inst = loadInstanceFiles(opts.instance);
      const r = await solvePartition(inst, opts.algorithm, { defpPasses: opts.passes, milp: { timeLimitSec: opts.milpTimeLimit } });
      if (opts.json) {
        console.log(
          JSON.stringify({
            algorithm: r.algorithm,
            assignment: r.assignment,
            actors: inst.actors.map((a, i) => ({ id: a.id, splitPoint: r.assignment[i], codec: r.codecs[i] })),
            objective: r.objective,
            latencyReduction: r.latencyReduction,
            feasible: r.feasible,
            solveMs: r.solveMs,
            computeUsed: r.computeUsed,
            bandwidthUsed: r.bandwidthUsed,
            details: r.details,
            codecs: r.codecs,
          }),
        );
      } else {
        const K = inst.layers.length;
        console.log(`${r.algorithm}: ${inst.actors.length} actors, K = ${K} layers, solved in ${r.solveMs.toFixed(2)} ms`);
        inst.actors.forEach((a, i) => {
          const y = r.assignment[i];
          const where = y === 0 ? 'all on learner' : y === K ? 'all on actor' : `layers 1..${y} on actor`;
          const codec = y === K ? '' : `, codec ${r.codecs[i]}${r.codecs[i] === 'f32' ? (y === 0 ? ' (raw observation)' : ' (float32)') : ''}`;
          console.log(`  ${String(a.id)}: y = ${y} (${where}${codec})`);
        });
        console.log(`  Σ T_i = ${(r.objective * 1e3).toFixed(4)} ms, latency reduction ${(r.latencyReduction * 1e3).toFixed(4)} ms`);
        console.log(
          `  learner compute ${r.computeUsed.toExponential(3)} / ${inst.edge.computeBudget.toExponential(3)} FLOPs, ` +
            `bandwidth ${r.bandwidthUsed.toExponential(3)} / ${inst.edge.bandwidthBudget.toExponential(3)}: ${r.feasible ? 'feasible' : 'INFEASIBLE'}`,
        );
        if (Object.keys(r.details).length) console.log(`  ${JSON.stringify(r.details)}`);
      }
      if (!r.feasible) {
        console.error(`coknight: solver returned an infeasible assignment: ${r.violations.join('; ')}`);
        process.exitCode = 2;
      }
    });
}
