import { join } from 'node:path';
import type { Command } from 'commander';
import { describeConfig, resolveConfig, setPath, type ConfigOverrides } from '../../config/load.js';
import { parseIntArg, parseNumberArg } from '../args.js';
import { runTraining } from '../../run/train.js';

interface TrainFlags {
  config?: string;
  mode?: string;
  env?: string;
  frames?: number;
  seed?: number;
  runDir?: string;
  resume?: string;
  backend?: string;
  model?: string;
  set: string[];
  progress?: string;
  actors?: number;
  bandwidth?: string;
  printConfig?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** "key=value" with value parsed as JSON where it parses (numbers, booleans, arrays), else a string. */
function parseSet(item: string): [string, unknown] {
  const eq = item.indexOf('=');
  if (eq <= 0) throw new Error(`--set expects key=value (e.g. --set hyper.learningRate=0.001), got "${item}"`);
  const key = item.slice(0, eq);
  const raw = item.slice(eq + 1);
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}

/** Flags override the config file; --set reaches any field by its dotted path. */
export function overridesFromFlags(flags: TrainFlags): ConfigOverrides {
  const o: Record<string, unknown> = {};
  if (flags.mode !== undefined) o.mode = flags.mode;
  if (flags.frames !== undefined) o.frames = flags.frames;
  if (flags.seed !== undefined) o.seed = flags.seed;
  if (flags.backend !== undefined) o.backend = flags.backend;
  if (flags.model !== undefined) o.model = flags.model;
  if (flags.env !== undefined) setPath(o, 'env.id', flags.env);
  if (flags.runDir !== undefined) setPath(o, 'run.dir', flags.runDir);
  if (flags.progress !== undefined) setPath(o, 'run.progress', flags.progress);
  if (flags.actors !== undefined) setPath(o, 'distributed.actors', flags.actors);
  if (flags.bandwidth !== undefined) setPath(o, 'distributed.bandwidth', flags.bandwidth);
  for (const item of flags.set) {
    const [k, v] = parseSet(item);
    setPath(o, k, v);
  }
  return o;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train an agent (flags override the config file)')
    .option('-c, --config <file>', 'YAML run config (see configs/)')
    .option('--mode <mode>', 'local | seed | impala | coknight')
    .option('--env <id>', 'environment id, e.g. minatar/breakout')
    .option('--frames <n>', 'environment frames to train for (5e6 style accepted)', parseNumberArg('--frames', 1))
    .option('--seed <n>', 'seed for every generator in the run', parseIntArg('--seed', 0))
    .option('--run-dir <dir>', 'run directory (checkpoints, logs, plots, summary.json)')
    .option('--resume <dir>', 'resume from the checkpoint in this run directory (continues writing there)')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu')
    .option('--model <name>', 'auto | minatar | impala-shallow | impala-deep')
    .option('--progress <kind>', 'auto | bar | lines | none')
    .option('--actors <n>', 'actor processes to start (seed/impala/coknight modes)', parseIntArg('--actors', 1))
    .option('--bandwidth <rate>', "per-actor link cap, e.g. '10MB/s' (seed/impala/coknight modes)")
    .option('--set <key=value>', 'override any config field by dotted path (repeatable)', collect, [])
    .option('--print-config', 'print the resolved config with where each value came from, and exit')
    .action(async (flags: TrainFlags) => {
      const overrides = overridesFromFlags(flags);
      if (flags.resume && flags.runDir === undefined) setPath(overrides, 'run.dir', flags.resume);
      if (typeof overrides.frames === 'number') overrides.frames = Math.round(overrides.frames);
      // A resumed run keeps its own config unless a file is given; flags still override (e.g. more --frames).
      const base = flags.resume && !flags.config ? join(flags.resume, 'config.json') : flags.config;
      const resolved = resolveConfig(base, overrides);
      if (flags.printConfig) {
        console.log(describeConfig(resolved));
        return;
      }
      const config = resolved.config;
      const summary = await runTraining(config, { resume: flags.resume });
      console.log(JSON.stringify(summary, null, 2));
    });
}
