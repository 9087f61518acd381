// Decentralised-planning tests: a Hello with a device profile (and maybe a proposal), and slow actor
// processes (0.1 MFLOP/s, 1 MB/s: they ask for themselves) against a learner, output collected.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Hello } from '../../src/transport/index.js';

const BIN = join(__dirname, '..', '..', 'bin', 'coknight.js');

/** A Hello for the MinAtar (10×10×4, 3 actions) learners of these tests. */
export const helloWith =
  (token: string) =>
  (actorId: string, profile: Record<string, unknown>): Hello => ({
    type: 'Hello',
    protocolVersion: 3,
    actorId,
    token,
    numEnvs: 2,
    obsShape: [10, 10, 4],
    numActions: 3,
    splitPoint: 0,
    profile,
  });

/** Starts `coknight actor` processes that measure themselves as 0.1 MFLOP/s devices on 1 MB/s links. */
export function slowActors(address: string, token: string): { start: (id: string) => void; output: () => string; killAll: () => void } {
  const children: ChildProcess[] = [];
  const out: string[] = [];
  return {
    start(id) {
      const p = spawn(
        process.execPath,
        [BIN, 'actor', '--learner', address, '--actor-id', id, '--envs', '2', '--device-flops', '1e5', '--link-bytes-per-sec', '1000000'],
        { env: { ...process.env, COKNIGHT_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      p.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
      p.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
      children.push(p);
    },
    output: () => out.join(''),
    killAll: () => {
      for (const p of children) p.kill('SIGKILL');
    },
  };
}
