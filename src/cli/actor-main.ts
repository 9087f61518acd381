/**
 * `coknight actor` on its own (bin/coknight.js starts it for that sub-command): only the actor's
 * modules are loaded, not every command's, so an actor process carries no learner and, at y = 0, no
 * tfjs. `coknight --help` still lists `actor` from the full program (main.ts).
 */
import { Command } from 'commander';
import { registerActor } from './commands/actor.js';
import { runProgram } from './run-program.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program.name('coknight').showHelpAfterError();
  registerActor(program);
  await runProgram(program, argv);
}
