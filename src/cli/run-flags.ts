/** The flags `coknight train` and `coknight learner` share, and how they become config overrides. */
import type { Command } from 'commander';
import { type ConfigOverrides, deepMerge, describeConfig, overridesFromSets, type ResolvedConfig, resolveConfig, setPath } from '../config/load.js';
import { readTokenFile } from '../util/token-file.js';
import { parseIntArg, parseNumberArg } from './args.js';

export interface RunFlags {
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
  romDir?: string;
  printConfig?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function addRunFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML run config (see configs/)')
    .option('--env <id>', 'environment id, e.g. minatar/breakout')
    .option('--frames <n>', 'environment frames to train for (5e6 style accepted)', parseNumberArg('--frames', 1))
    .option('--seed <n>', 'seed for every generator in the run', parseIntArg('--seed', 0))
    .option('--run-dir <dir>', 'run directory (checkpoints, logs, plots, summary.json)')
    .option('--resume <dir>', 'resume from the checkpoint in this run directory (continues writing there)')
    .option('--backend <name>', 'auto | native | tensorflow | webgpu | wasm | cpu')
    .option('--model <name>', 'auto | minatar | impala-shallow | impala-deep')
    .option('--progress <kind>', 'auto | bar | lines | none')
    .option('--rom-dir <dir>', 'Atari ROM directory (default $COKNIGHT_ROM_DIR)')
    .option('--set <key=value>', 'override any config field by dotted path (repeatable)', collect, [])
    .option('--print-config', 'print the resolved config with where each value came from, and exit');
}

/** Flags override the config file; --set reaches any field by its dotted path. */
export function overridesFromFlags(flags: RunFlags): ConfigOverrides {
  const o: Record<string, unknown> = {};
  if (flags.mode !== undefined) o.mode = flags.mode;
  if (flags.frames !== undefined) o.frames = Math.round(flags.frames);
  if (flags.seed !== undefined) o.seed = flags.seed;
  if (flags.backend !== undefined) o.backend = flags.backend;
  if (flags.model !== undefined) o.model = flags.model;
  if (flags.env !== undefined) setPath(o, 'env.id', flags.env);
  if (flags.romDir !== undefined) setPath(o, 'env.romDir', flags.romDir);
  if (flags.runDir !== undefined) setPath(o, 'run.dir', flags.runDir);
  if (flags.progress !== undefined) setPath(o, 'run.progress', flags.progress);
  overridesFromSets(flags.set, o);
  if (flags.resume && flags.runDir === undefined) setPath(o, 'run.dir', flags.resume);
  return o;
}

/**
 * The run's config: a resumed run keeps its own config.json unless a file is given; flags still
 * override (e.g. more --frames). With --print-config it is printed and `null` returned.
 */
export function configFromFlags(flags: RunFlags, extra: ConfigOverrides = {}): ResolvedConfig | null {
  const base = flags.resume && !flags.config ? `${flags.resume}/config.json` : flags.config;
  const resolved = resolveConfig(base, deepMerge(overridesFromFlags(flags), extra));
  if (flags.printConfig) {
    console.log(describeConfig(resolved));
    return null;
  }
  return resolved;
}

/**
 * The shared token from `--token-file` (preferred: not in `ps` or shell history), else `--token`
 * (with a warning), else $COKNIGHT_TOKEN. Both flags together are refused.
 */
export function tokenFromFlags(f: { token?: string; tokenFile?: string }, warn: (m: string) => void): string | undefined {
  if (f.token && f.tokenFile) throw new Error('give the token once: --token-file or --token, not both');
  if (f.tokenFile) return readTokenFile(f.tokenFile, warn);
  if (f.token) {
    warn('warning: --token is visible to every user of this machine (ps) and in shell history; prefer --token-file or $COKNIGHT_TOKEN');
    return f.token;
  }
  return process.env.COKNIGHT_TOKEN;
}
