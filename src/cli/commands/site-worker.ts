import type { Command } from 'commander';
import { type BackendPreference, initBackend } from '../../backend/index.js';
import { runWorker } from '../../coop/worker.js';
import { parseIntArg } from '../args.js';

/** `coknight site-worker`: one device of a cooperative-inference site (started by the site's coordinator). */
export function registerSiteWorker(program: Command): void {
  program
    .command('site-worker')
    .description('run one device of a cooperative-inference site: connects to the coordinator and runs the block slices it is sent')
    .requiredOption('--connect <host:port>', "the site coordinator's address")
    .requiredOption('--id <name>', 'device id')
    .option('--backend <name>', "auto | native | wasm | cpu (the testbed passes its devices' backend)", 'auto')
    .option('--threads <n>', 'wasm threads (one core per device by default)', parseIntArg('--threads', 1), 1)
    .option('--delay-ms <n>', 'wait before answering each task (fault tests)', parseIntArg('--delay-ms', 0), 0)
    .option('--retry-for <seconds>', 'keep trying to connect this long while the coordinator is not listening yet', parseIntArg('--retry-for', 0), 0)
    .action(async (o: { connect: string; id: string; backend: string; threads: number; delayMs: number; retryFor: number }) => {
      const m = /^(.+):(\d+)$/.exec(o.connect);
      if (!m) throw new Error(`--connect must be host:port, got "${o.connect}"`);
      // initBackend names the choices when --backend is none of them.
      await initBackend({ prefer: o.backend as BackendPreference, log: () => {}, gradients: false, threads: o.threads });
      await runWorker({ host: m[1], port: Number(m[2]), id: o.id, delayMs: o.delayMs, retryForMs: o.retryFor * 1000 });
    });
}
