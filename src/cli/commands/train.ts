import type { Command } from 'commander';
import { setPath } from '../../config/load.js';
import { runTraining } from '../../run/train.js';
import { parseIntArg } from '../args.js';
import { addRunFlags, configFromFlags, type RunFlags } from '../run-flags.js';

interface TrainFlags extends RunFlags {
  actors?: number;
  bandwidth?: string;
}

export function registerTrain(program: Command): void {
  addRunFlags(program.command('train').description('train an agent (flags override the config file)'))
    .option('--mode <mode>', 'local | seed | impala | coknight')
    .option('--actors <n>', 'actor processes to start (seed/impala/coknight modes)', parseIntArg('--actors', 1))
    .option('--bandwidth <rate>', "per-actor link cap, e.g. '10MB/s' (seed/impala/coknight modes)")
    .action(async (flags: TrainFlags) => {
      const extra: Record<string, unknown> = {};
      if (flags.actors !== undefined) setPath(extra, 'distributed.actors', flags.actors);
      if (flags.bandwidth !== undefined) setPath(extra, 'distributed.bandwidth', flags.bandwidth);
      const resolved = configFromFlags(flags, extra);
      if (!resolved) return;
      const config = resolved.config;
      if (config.mode === 'local' && (flags.actors !== undefined || flags.bandwidth !== undefined)) {
        const given = [flags.actors !== undefined ? '--actors' : '', flags.bandwidth !== undefined ? '--bandwidth' : ''].filter(Boolean).join(' and ');
        throw new Error(
          `${given} ${given.includes(' and ') ? 'apply' : 'applies'} to distributed runs, but this run is --mode local (one process, no actors): add --mode coknight, seed or impala`,
        );
      }
      const summary = await runTraining(config, { resume: flags.resume });
      console.log(JSON.stringify(summary, null, 2));
    });
}
