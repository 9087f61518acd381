import type { Command } from 'commander';
import { loadConfig, setPath } from '../../config/load.js';
import { runDistributed } from '../../run/distributed.js';
import { parseNumberArg } from '../args.js';

export function registerLearner(program: Command): void {
  program
    .command('learner')
    .description('run a learner that waits for remote actors (`coknight actor --learner host:port` on each device)')
    .option('-c, --config <file>', 'YAML run config')
    .option('--listen <host:port>', 'gRPC address (default from config; 0.0.0.0:8686 to serve other hosts)')
    .option('--mode <mode>', 'seed | impala | coknight', 'coknight')
    .option('--frames <n>', 'frames to train for', parseNumberArg('--frames', 1))
    .option('--run-dir <dir>', 'run directory')
    .option('--resume <dir>', 'resume from the checkpoint in this run directory')
    .option('--token <secret>', 'shared token actors must present (default: $COKNIGHT_TOKEN)')
    .option('--metrics <host:port>', "Prometheus /metrics address ('' disables)")
    .action(
      async (f: { config?: string; listen?: string; mode: string; frames?: number; runDir?: string; resume?: string; token?: string; metrics?: string }) => {
        const o: Record<string, unknown> = { mode: f.mode };
        if (f.frames !== undefined) o.frames = Math.round(f.frames);
        if (f.listen) setPath(o, 'distributed.listen', f.listen);
        if (f.token) setPath(o, 'distributed.token', f.token);
        if (f.metrics !== undefined) setPath(o, 'distributed.metricsListen', f.metrics);
        if (f.runDir ?? f.resume) setPath(o, 'run.dir', f.runDir ?? f.resume);
        const config = loadConfig(f.config, o);
        if (config.mode === 'local') throw new Error('learner: --mode local runs without actors; use `coknight train --mode local`');
        if (!config.distributed.token && !process.env.COKNIGHT_TOKEN) {
          throw new Error('learner: remote actors need a shared token: pass --token or set COKNIGHT_TOKEN');
        }
        const summary = await runDistributed(config, { resume: f.resume, spawnActors: 0 });
        console.log(JSON.stringify(summary, null, 2));
      },
    );
}
