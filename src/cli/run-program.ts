import { type Command, CommanderError } from 'commander';
import { VERSION } from './version.js';

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

/** Parses argv and runs the command; a fatal error is printed as `coknight: …` and ends the process non-zero. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  surviveClosedPipes();
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
