/**
 * Env steps/s of one seed-mode run (MinAtar Breakout, y = 0) on loopback, with the learner serving
 * every tail itself (--servers 0) or helped by N `coknight serve` processes (serverAssign 'balance'
 * spreads the actors over them). The rate is counted by the learner: steps taken into its unrolls
 * between the moment every actor (and server) is connected and the end of the run.
 *
 * Run: npx tsc -p tsconfig.json && npx tsx bench/serve-throughput.ts --servers 2 [--actors 4 --envs 4 --frames 20000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { runDistributed } from '../src/run/distributed.js';

const o = new Command()
  .option('--servers <n>', 'inference servers', '0')
  .option('--actors <n>', 'actor processes', '4')
  .option('--envs <n>', 'envs per actor', '4')
  .option('--frames <n>', 'frames to train on', '20000')
  .parse()
  .opts<{ servers: string; actors: string; envs: string; frames: string }>();
const TOKEN = 'bench-serve';
const children: ChildProcess[] = [];

async function main(): Promise<void> {
  await initBackend({ log: () => {} });
  const nServers = Number(o.servers);
  const nActors = Number(o.actors);
  const config = validateConfig(
    {
      mode: 'seed',
      frames: Number(o.frames),
      seed: 1,
      env: { id: 'minatar/breakout' },
      distributed: { actors: nActors, envsPerActor: Number(o.envs), token: TOKEN, serverAssign: 'balance' },
      run: { dir: mkdtempSync(join(tmpdir(), 'ck-bench-serve-')), progress: 'none', checkpointEverySeconds: 1e6, logEverySeconds: 1e6 },
    },
    'bench',
  );
  let t0 = 0;
  let s0 = 0;
  const s = (await runDistributed(config, {
    spawnActors: nActors,
    log: () => {},
    onListening: (svc) => {
      for (let i = 0; i < nServers; i++) {
        const c = spawn(process.execPath, ['bin/coknight.js', 'serve', '--learner', svc.address, '--server-id', `s${i}`], {
          env: { ...process.env, COKNIGHT_TOKEN: TOKEN },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        children.push(c);
      }
      const poll = setInterval(() => {
        const l = svc.learner;
        const spread = nServers === 0 || [...l.registry.all()].every((a) => l.servers.serverOf(a.id) !== null);
        if (l.registry.connectedCount() < nActors || l.servers.size < nServers || !spread) return;
        clearInterval(poll);
        t0 = performance.now();
        s0 = l.stepAccounting().served;
      }, 20);
    },
  })) as { stepAccounting: { served: number }; servers: { id: string; stepsServed: number }[] };
  const dt = (performance.now() - t0) / 1000;
  const steps = s.stepAccounting.served - s0;
  console.log(
    JSON.stringify({
      servers: nServers,
      actors: nActors,
      envs: Number(o.envs),
      seconds: dt,
      envSteps: steps,
      envStepsPerSecond: steps / dt,
      perServer: s.servers,
    }),
  );
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}

main().catch((e: unknown) => {
  console.error(e);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
