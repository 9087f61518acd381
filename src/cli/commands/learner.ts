import type { Command } from 'commander';
import { setPath } from '../../config/load.js';
import { runDistributed } from '../../run/distributed.js';
import { addRunFlags, configFromFlags, type RunFlags } from '../run-flags.js';

interface LearnerFlags extends RunFlags {
  mode: string;
  listen?: string;
  token?: string;
  metrics?: string;
}

export function registerLearner(program: Command): void {
  addRunFlags(
    program
      .command('learner')
      .description('run a learner that waits for remote actors (`coknight actor --learner host:port` on each device; they take the env from it)'),
  )
    .option('--mode <mode>', 'seed | impala | coknight', 'coknight')
    .option('--listen <host:port>', 'gRPC address (default from config; 0.0.0.0:8686 to serve other hosts)')
    .option('--token <secret>', 'shared token actors must present (default: $COKNIGHT_TOKEN)')
    .option('--metrics <host:port>', "Prometheus /metrics and the dashboard (/dashboard/) address ('' disables)")
    .action(async (f: LearnerFlags) => {
      const extra: Record<string, unknown> = {};
      if (f.listen) setPath(extra, 'distributed.listen', f.listen);
      if (f.token) setPath(extra, 'distributed.token', f.token);
      if (f.metrics !== undefined) setPath(extra, 'distributed.metricsListen', f.metrics);
      const resolved = configFromFlags(f, extra);
      if (!resolved) return;
      const config = resolved.config;
      if (config.mode === 'local') throw new Error('learner: --mode local runs without actors; use `coknight train --mode local`');
      if (!config.distributed.token && !process.env.COKNIGHT_TOKEN) {
        throw new Error('learner: remote actors need a shared token: pass --token or set COKNIGHT_TOKEN');
      }
      const summary = await runDistributed(config, { resume: f.resume, spawnActors: 0 });
      console.log(JSON.stringify(summary, null, 2));
    });
}
