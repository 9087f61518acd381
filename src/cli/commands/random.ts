import type { Command } from 'commander';
import { runRandomAgent } from '../../env/random-policy.js';
import { parseIntArg } from '../args.js';

/** `coknight random`: a uniformly random agent, the reference every learning curve is compared with. */
export function registerRandom(program: Command): void {
  program
    .command('random')
    .description('run a uniformly random agent and print its mean episode return')
    .option('--env <id>', 'environment id', 'minatar/breakout')
    .option('--episodes <n>', 'number of episodes', parseIntArg('--episodes', 1), 100)
    .option('--seed <n>', 'seed', parseIntArg('--seed', 0), 0)
    .option('--json', 'print the result as JSON')
    .option('--rom-dir <dir>', 'Atari ROM directory (default $COKNIGHT_ROM_DIR)')
    .action((opts: { env: string; episodes: number; seed: number; json?: boolean; romDir?: string }) => {
      const result = runRandomAgent(opts.env, opts.episodes, opts.seed, opts.romDir);
      if (opts.json) console.log(JSON.stringify(result));
      else
        console.log(
          `${opts.env}: random policy over ${opts.episodes} episodes: mean return ${result.meanReturn.toFixed(3)}, ` +
            `mean length ${result.meanLength.toFixed(1)} steps`,
        );
    });
}

export { runRandomAgent };
