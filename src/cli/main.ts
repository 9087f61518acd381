import { Command } from 'commander';
import { registerRandom } from './commands/random.js';
import { registerRender } from './commands/render.js';
import { registerPlay } from './commands/play.js';
import { registerTrain } from './commands/train.js';
import { registerEval } from './commands/eval.js';
import { registerActor } from './commands/actor.js';
import { registerLearner } from './commands/learner.js';
import { registerServe } from './commands/serve.js';
import { registerAtari } from './commands/atari.js';
import { registerPartition } from './commands/partition.js';
import { registerSimulate } from './commands/simulate.js';
import { registerProfile } from './commands/profile.js';
import { registerTestbed } from './commands/testbed.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerCompare } from './commands/compare.js';
import { registerPlanner } from './commands/planner.js';
import { runProgram } from './run-program.js';
import { registerSiteWorker } from './commands/site-worker.js';

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
  registerServe(program);
  registerAtari(program);
  registerPartition(program);
  registerSimulate(program);
  registerProfile(program);
  registerTestbed(program);
  registerDashboard(program);
  registerCompare(program);
  registerPlanner(program);
  registerSiteWorker(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
