// `coknight serve` child processes for the serve integration tests: started against a learner,
// stderr collected, all killed at the end of the file's tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const BIN = join(__dirname, '..', '..', 'bin', 'coknight.js');

export function serveProcesses(token: string): {
  start: (learner: string, id: string, logs: string[]) => { child: ChildProcess; exit: Promise<number | null> };
} {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
  return {
    start(learner, id, logs) {
      const child = spawn(process.execPath, [BIN, 'serve', '--learner', learner, '--server-id', id, '--listen', '127.0.0.1:0', '--inference', 'tfjs'], {
        env: { ...process.env, COKNIGHT_TOKEN: token },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr!.on('data', (b: Buffer) => logs.push(b.toString()));
      children.push(child);
      return { child, exit: new Promise((r) => child.on('exit', (code) => r(code))) };
    },
  };
}
