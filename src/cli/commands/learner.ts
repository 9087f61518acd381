import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { setPath } from '../../config/load.js';
import { CHECKPOINT_FILE } from '../../run/checkpoint.js';
import { runDistributed } from '../../run/distributed.js';
import { addRunFlags, configFromFlags, type RunFlags, tokenFromFlags } from '../run-flags.js';

interface LearnerFlags extends RunFlags {
  mode: string;
  listen?: string;
  token?: string;
  tokenFile?: string;
  metrics?: string;
  resumeIfPresent?: boolean;
}

export function registerLearner(program: Command): void {
  addRunFlags(
    program
      .command('learner')
      .description('run a learner that waits for remote actors (`coknight actor --learner host:port` on each device; they take the env from it)'),
  )
    .option('--mode <mode>', 'seed | impala | coknight', 'coknight')
    .option('--listen <host:port>', 'gRPC address (default from config; 0.0.0.0:8686 to serve other hosts)')
    .option('--token-file <path>', 'read the shared token from the first line of this file (keep it mode 0600)')
    .option('--token <secret>', 'shared token actors must present (visible in ps: prefer --token-file or $COKNIGHT_TOKEN)')
    .option('--metrics <host:port>', "Prometheus /metrics and the dashboard (/dashboard/) address ('' disables)")
    .option(
      '--resume-if-present',
      'continue the run in --run-dir when it holds a checkpoint, else start it there (a restarted container picks up where it stopped)',
    )
    .action(async (f: LearnerFlags) => {
      if (f.resumeIfPresent) {
        if (!f.runDir) throw new Error('learner: --resume-if-present needs --run-dir DIR (where the checkpoint is kept, e.g. a volume)');
        if (f.resume) throw new Error('learner: give --resume DIR or --resume-if-present, not both');
        if (existsSync(join(f.runDir, CHECKPOINT_FILE))) f.resume = f.runDir;
      }
      const extra: Record<string, unknown> = {};
      if (f.listen) setPath(extra, 'distributed.listen', f.listen);
      const token = tokenFromFlags(f, (m) => console.error(m));
      if (token) setPath(extra, 'distributed.token', token);
      if (f.metrics !== undefined) setPath(extra, 'distributed.metricsListen', f.metrics);
      const resolved = configFromFlags(f, extra);
      if (!resolved) return;
      const config = resolved.config;
      if (config.mode === 'local') throw new Error('learner: --mode local runs without actors; use `coknight train --mode local`');
      if (!config.distributed.token && !process.env.COKNIGHT_TOKEN) {
        throw new Error(
          'learner: remote actors need a shared token: pass --token-file FILE or set COKNIGHT_TOKEN (the token is never written to the run directory: give it again on --resume)',
        );
      }
      const summary = await runDistributed(config, { resume: f.resume, spawnActors: 0 });
      console.log(JSON.stringify(summary, null, 2));
    });
}
