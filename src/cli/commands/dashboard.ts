import type { Command } from 'commander';
import { serveRunDashboard } from '../../run/dashboard/serve.js';

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('serve the live dashboard page for a run directory (finished, or still being written)')
    .argument('<run-dir>', 'a run directory (runs/<name>)')
    .option('--listen <host:port>', 'where to serve it (beyond loopback the page needs a token)', '127.0.0.1:8080')
    .option('--token <token>', 'token for a non-loopback --listen (default $COKNIGHT_TOKEN or a random one)')
    .action(async (runDir: string, o: { listen: string; token?: string }) => {
      const served = await serveRunDashboard(runDir, o.listen, o.token);
      console.log(`dashboard for ${runDir} at ${served.url} (Ctrl-C to stop)`);
      await new Promise<void>((done) => {
        const stop = () => void served.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
