/**
 * Several inference servers for one learner, all real processes on loopback: the learner (this
 * process, runDistributed), two `coknight serve` processes and two actor processes (seed mode, y = 0,
 * MinAtar Breakout). Actors are moved learner → server, server → server both ways, and server →
 * learner while they run; at the end every step the actors were served is accounted for exactly
 * (served = assembled + pending + dropped, assembled = trained + queued + discarded), nothing was
 * taken twice or late, and each server served steps. Assertions are on counts, never on speed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import type { LearnerService } from '../src/run/learner-service.js';
import { runDistributed } from '../src/run/distributed.js';
import { serveProcesses } from './helpers/serve-processes.js';
import { until } from './helpers/wait.js';

const TOKEN = 'serve-integration-token';
const BIN = join(__dirname, '..', 'bin', 'coknight.js');
const servers = serveProcesses(TOKEN);
const startServer = (learner: string, id: string, logs: string[]) => servers.start(learner, id, logs).child;

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('coknight serve: two inference servers for one learner', () => {
  it('moves actors between the servers mid-run and accounts every step exactly', async () => {
    const config = validateConfig(
      {
        mode: 'seed',
        frames: 4000,
        seed: 5,
        inference: 'tfjs',
        env: { id: 'minatar/breakout' },
        hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
        distributed: { actors: 2, envsPerActor: 2, maxWaitMs: 2, metricsListen: '127.0.0.1:0', token: TOKEN, serverAssign: 'manual' },
        run: { dir: mkdtempSync(join(tmpdir(), 'ck-serve-')), progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      },
      'test',
    );
    const logs: string[] = [];
    const serverLogs: string[] = [];
    let metricsText = '';
    let moves: Promise<void> | undefined;
    const exits: Promise<number | null>[] = [];
    const s: Record<string, any> = await runDistributed(config, {
      spawnActors: 2,
      log: (m) => logs.push(m),
      onListening: (svc: LearnerService) => {
        for (const id of ['s0', 's1']) {
          const c = startServer(svc.address, id, serverLogs);
          exits.push(new Promise((r) => c.on('exit', (code) => r(code))));
        }
        const pool = svc.learner.servers;
        const served = (id: string): number => pool.list().find((x) => x.id === id)?.stepsServed ?? 0;
        // Each move waits until the server it leaves has served something more, so every leg carries steps.
        const leg = async (actor: string, to: string | null, watch: string): Promise<void> => {
          const before = served(watch);
          await pool.move(actor, to, 'test');
          await until(() => served(watch) > before + 20 || svc.learner.done, 60_000, `steps served by ${watch} after moving ${actor}`);
        };
        moves = (async () => {
          await until(() => pool.size === 2 && svc.learner.registry.connectedCount() === 2, 60_000, 'two servers and two actors');
          await leg('a0', 's0', 's0');
          await leg('a1', 's1', 's1');
          await leg('a0', 's1', 's1'); // s0 → s1
          await leg('a1', 's0', 's0'); // s1 → s0
          metricsText = await (await fetch(`http://${svc.metricsAddress}/metrics`)).text();
          await pool.move('a0', null, 'test'); // s1 → learner
        })();
      },
    });
    await moves;
    const acc = s.stepAccounting;
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
    expect(acc.assembled).toBe(acc.trained + acc.queued + acc.discarded);
    expect(acc.duplicates).toBe(0);
    expect(acc.stale).toBe(0);
    expect(acc.trained).toBeGreaterThanOrEqual(4000);
    // Every step the learner took is one an actor was served: by the learner itself or by a server.
    const byServers = s.servers.reduce((n: number, x: { stepsServed: number }) => n + x.stepsServed, 0);
    expect(s.servers.map((x: { id: string }) => x.id).sort()).toEqual(['s0', 's1']);
    for (const x of s.servers) {
      expect(x.stepsServed).toBeGreaterThan(0);
      expect(x.rejected).toBe(0);
    }
    const direct = s.actors.reduce((n: number, a: { stepsServed: number }) => n + a.stepsServed, 0) - byServers;
    expect(direct).toBeGreaterThan(0);
    expect(s.serverMoves).toBe(5);
    // No actor had to register again: the moves alone changed who served it.
    for (const a of s.actors) expect(a.registrations).toBe(1);
    expect(metricsText).toMatch(/coknight_server_env_steps_total\{server="s0"\} [1-9]/);
    expect(metricsText).toMatch(/coknight_server_actors\{server="s1"\} 1/);
    expect(metricsText).toMatch(/coknight_server_moves_total 4/);
    // The servers exit cleanly when the learner ends the run.
    expect(await Promise.all(exits)).toEqual([0, 0]);
    expect(serverLogs.join('')).toMatch(/run ended \(finished\)/);
  }, 120_000);

  it('a server killed mid-run: its actors register again with the learner, nothing is lost uncounted', async () => {
    const config = validateConfig(
      {
        mode: 'seed',
        frames: 2000,
        seed: 6,
        inference: 'tfjs',
        env: { id: 'minatar/breakout' },
        hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
        distributed: { actors: 2, envsPerActor: 2, maxWaitMs: 2, metricsListen: '127.0.0.1:0', token: TOKEN, serverAssign: 'balance' },
        run: { dir: mkdtempSync(join(tmpdir(), 'ck-serve-')), progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      },
      'test',
    );
    const logs: string[] = [];
    let killedAt = -1;
    const s: Record<string, any> = await runDistributed(config, {
      spawnActors: 2,
      log: (m) => logs.push(m),
      onListening: (svc: LearnerService) => {
        const child = startServer(svc.address, 'k0', []);
        const poll = setInterval(() => {
          const pool = svc.learner.servers;
          const k0 = pool.list().find((x) => x.id === 'k0');
          // Both actors on k0 first: on a loaded machine one may still be moving when k0 has served 200.
          if (!k0 || k0.stepsServed < 200 || !['a0', 'a1'].every((a) => pool.serverOf(a) === 'k0')) return;
          clearInterval(poll);
          killedAt = svc.learner.stepAccounting().served;
          child.kill('SIGKILL');
        }, 20);
      },
    });
    expect(killedAt).toBeGreaterThan(0);
    const acc = s.stepAccounting;
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
    expect(acc.assembled).toBe(acc.trained + acc.queued + acc.discarded);
    expect(acc.duplicates).toBe(0);
    expect(acc.trained).toBeGreaterThanOrEqual(2000);
    // Both actors were on k0 (the only server); each registered once more after it died, and the learner served the rest.
    for (const a of s.actors) expect(a.registrations).toBe(2);
    expect(acc.served).toBeGreaterThan(killedAt);
    expect(logs.some((l) => /inference server k0 left/.test(l))).toBe(true);
  }, 120_000);

  it('coded actors (ae4q4 at y = 1) on a server: it decodes with the codec states the learner publishes, refuses nothing, accounting exact', async () => {
    const config = validateConfig(
      {
        mode: 'coknight',
        frames: 2000,
        seed: 7,
        inference: 'tfjs',
        env: { id: 'minatar/breakout' },
        hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
        distributed: {
          actors: 2,
          envsPerActor: 2,
          maxWaitMs: 2,
          metricsListen: '127.0.0.1:0',
          token: TOKEN,
          serverAssign: 'balance',
          splitPoints: [1, 1],
          codec: 'ae4q4',
        },
        run: { dir: mkdtempSync(join(tmpdir(), 'ck-serve-')), progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      },
      'test',
    );
    const serverLogs: string[] = [];
    const s: Record<string, any> = await runDistributed(config, {
      spawnActors: 2,
      log: (m) => serverLogs.push(`[learner] ${m}\n`),
      onListening: (svc: LearnerService) => void startServer(svc.address, 'c0', serverLogs),
    });
    const acc = s.stepAccounting;
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
    expect(acc.assembled).toBe(acc.trained + acc.queued + acc.discarded);
    expect(acc.duplicates).toBe(0);
    expect(acc.trained).toBeGreaterThanOrEqual(2000);
    const [c0] = s.servers;
    expect(c0.id).toBe('c0');
    expect(c0.stepsServed).toBeGreaterThan(0);
    expect(c0.rejected).toBe(0);
    for (const a of s.actors) {
      expect(a.splitPoint).toBe(1);
      expect(a.registrations, serverLogs.join('')).toBe(1); // never refused by the server and sent back to the learner
      // still coded at the end, never moved off the codec, and its inference messages carry codes
      // (2 envs x 8x8x4 4-bit codes = 256 B), not the 8 KB float32 feature
      expect(a.actorView.codec).toBe('ae4q4');
      expect(a.actorView.codecChanges).toBe(0);
      const inf = a.actorView.bytes.inference;
      expect(inf.sentBytes / inf.sentMessages).toBeLessThan(1024);
    }
    expect(serverLogs.join('')).not.toMatch(/ignored a codec state/);
  }, 120_000);

  it('serverAssign plan prices the codecs: two actors that report a slow link start local and move to the server at (1, ae4q4) when it joins', async () => {
    // Planner numbers (what the actors report; the real loopback link is not capped): 1 MFLOP/s behind
    // 3 kB/s, the learner itself at 1 kFLOP/s. Local 0.337 s per step; on c0 (10 GFLOP/s) y = 0 costs
    // 0.304 s and (1, ae4q4) 0.295 s (test/learner.multi-planner.test.ts works them out).
    const config = validateConfig(
      {
        mode: 'coknight',
        frames: 10_000_000, // stopped below, once p0 has served both actors
        seed: 9,
        inference: 'tfjs',
        env: { id: 'minatar/breakout' },
        hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
        distributed: { envsPerActor: 2, maxWaitMs: 2, metricsListen: '127.0.0.1:0', token: TOKEN, serverAssign: 'plan', codec: 'ae4q4', codecSplit: 1 },
        partition: { edgeFlops: 1e3, multi: { solver: 'defp', servers: { p0: { flops: 1e10 } } } },
        run: { dir: mkdtempSync(join(tmpdir(), 'ck-serve-')), progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      },
      'test',
    );
    const logs: string[] = [];
    const actors: ChildProcess[] = [];
    let svc: LearnerService | undefined;
    const stop = new AbortController();
    try {
      const s: Record<string, any> = await runDistributed(config, {
        spawnActors: 0,
        stop: stop.signal,
        log: (m) => logs.push(`[learner] ${m}\n`),
        onListening: (l: LearnerService) => {
          svc = l;
          for (const id of ['c0', 'c1'])
            actors.push(
              spawn(
                process.execPath,
                [
                  BIN,
                  'actor',
                  '--learner',
                  l.address,
                  '--actor-id',
                  id,
                  '--envs',
                  '2',
                  '--device-flops',
                  '1e6',
                  '--link-bytes-per-sec',
                  '3000',
                  '--inference',
                  'tfjs',
                ],
                { env: { ...process.env, COKNIGHT_TOKEN: TOKEN }, stdio: 'ignore' },
              ),
            );
          // The server joins once both actors run locally (the learner alone is too slow to offload to).
          const reg = (id: string) => l.learner.registry.get(id);
          void until(() => ['c0', 'c1'].every((id) => (reg(id)?.stepsLocal ?? 0) > 0), 60_000, 'both actors local')
            .then(() => startServer(l.address, 'p0', logs))
            .then(() => until(() => ['c0', 'c1'].every((id) => (reg(id)?.stepsServed ?? 0) > 200), 90_000, 'p0 to serve both actors'))
            .finally(() => stop.abort());
        },
      });
      expect(svc).toBeDefined();
      const acc = s.stepAccounting;
      expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
      expect(acc.assembled).toBe(acc.trained + acc.queued + acc.discarded);
      expect(acc.duplicates).toBe(0);
      const [p0] = s.servers;
      expect(p0.id).toBe('p0');
      expect(p0.stepsServed).toBeGreaterThan(0);
      // The first forwarded steps are hundreds of unrolls ahead of the actors' last local uploads and
      // wait for them (up to 30 s each); before that wait existed, this run refused ~660 of them. One
      // per actor may still time out on a very loaded machine (then that step's unroll is dropped).
      expect(p0.rejected, logs.join('')).toBeLessThanOrEqual(2);
      for (const a of s.actors) {
        expect(a.stepsLocal, logs.join('')).toBeGreaterThan(0); // first at y = K
        expect(a.stepsServed, logs.join('')).toBeGreaterThan(0); // then served by p0
        expect(a.splitPoint).toBe(1);
        expect(a.codec).toBe('ae4q4');
        expect(a.registrations, logs.join('')).toBe(1);
      }
      expect(logs.join('')).toMatch(/actor c0 moves to split point 1 with codec ae4q4/);
      expect(logs.join('')).not.toMatch(/ignored a codec state/);
    } finally {
      for (const c of actors) if (c.exitCode === null) c.kill('SIGKILL');
    }
  }, 150_000);
});
