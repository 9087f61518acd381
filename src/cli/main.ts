import { Command, CommanderError } from 'commander';
import { registerRandom } from './commands/random.js';
import { registerRender } from './commands/render.js';
import { registerPlay } from './commands/play.js';
import { registerTrain } from './commands/train.js';
import { registerEval } from './commands/eval.js';
import { registerActor } from './commands/actor.js';
import { registerLearner } from './commands/learner.js';
import { registerAtari } from './commands/atari.js';
import { registerPartition } from './commands/partition.js';
import { registerSimulate } from './commands/simulate.js';
import { registerProfile } from './commands/profile.js';
import { registerTestbed } from './commands/testbed.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerCompare } from './commands/compare.js';
import { registerSiteWorker } from './commands/site-worker.js';
import { VERSION } from './version.js';

/** Builds the `coknight` command line. Each sub-command lives in its own module under commands/. */
export function buildProgram(): Command {
  const program = new Command();
  program.name('coknight').description('Coknight: distributed deep RL for edge networks (actor-learner with DEFP layer partitioning)').showHelpAfterError();
  registerRandom(program);
  registerRender(program);
  registerPlay(program);
  registerTrain(program);
  registerEval(program);
  registerLearner(program);
  registerActor(program);
  registerAtari(program);
  registerPartition(program);
  registerSimulate(program);
  registerProfile(program);
  registerTestbed(program);
  registerDashboard(program);
  registerCompare(program);
  registerSiteWorker(program);
  return program;
}

/**
 * A closed stdout/stderr (`coknight train | tee log` after Ctrl-C killed tee) must not crash a run
 * before it has written its checkpoint and summary: drop further output instead.
 */
function surviveClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
      stream.write = (() => true) as typeof stream.write;
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  surviveClosedPipes();
  const program = buildProgram();
  program.version(VERSION, '-V, --version', 'print the version');
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    const msg = err instanceof Error ? err.message : String(err);
    console.error(`coknight: ${msg}`);
    if (process.env.COKNIGHT_DEBUG && err instanceof Error) console.error(err.stack);
    process.exitCode = 1;
    // A fatal error ends the process even if a socket or timer would keep it alive: every port and
    // child is released (children watch their stdin and exit with us).
    setTimeout(() => process.exit(1), 100);
  }
}
