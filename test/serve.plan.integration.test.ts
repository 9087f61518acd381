/**
 * distributed.serverAssign 'plan' with real processes on loopback: the learner (this process,
 * runDistributed, coknight mode), two `coknight serve` processes and two actor processes. Nobody calls
 * move(): the live multi-server DEFP puts both actors on s0 when it joins, on the faster s1 when that
 * joins (declared FLOP/s in partition.multi.servers), and back on s0 when s1 leaves (SIGTERM). The run
 * is then stopped and every step is accounted for exactly. Assertions are on counts, never on speed.
 */
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

const TOKEN = 'serve-plan-token';
const servers = serveProcesses(TOKEN);
const startServer = servers.start;

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe("coknight serve with serverAssign 'plan'", () => {
  it('a server joining and leaving makes the planner move the actors; every step is accounted for', async () => {
    const config = validateConfig(
      {
        mode: 'coknight',
        frames: 10_000_000,
        seed: 7,
        inference: 'tfjs',
        env: { id: 'minatar/breakout' },
        hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
        distributed: { actors: 2, envsPerActor: 2, maxWaitMs: 2, metricsListen: '127.0.0.1:0', token: TOKEN, serverAssign: 'plan' },
        // Servers far faster than any actor and than the learner: y = 0 on the fastest place wins.
        partition: { edgeFlops: 1e12, multi: { solver: 'defp', servers: { s0: { flops: 1e13 }, s1: { flops: 1e14 } } } },
        run: { dir: mkdtempSync(join(tmpdir(), 'ck-plan-')), progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      },
      'test',
    );
    const logs: string[] = [];
    const serverLogs: string[] = [];
    const stop = new AbortController();
    let metricsText = '';
    let script: Promise<void> | undefined;
    const exits: Promise<number | null>[] = [];
    const s: Record<string, any> = await runDistributed(config, {
      spawnActors: 2,
      stop: stop.signal,
      log: (m) => logs.push(m),
      onListening: (svc: LearnerService) => {
        const pool = svc.learner.servers;
        const served = (id: string): number => pool.list().find((x) => x.id === id)?.stepsServed ?? 0;
        const both = (id: string) => ['a0', 'a1'].every((a) => pool.serverOf(a) === id);
        const settle = async (id: string, what: string): Promise<void> => {
          const before = served(id);
          await until(() => both(id) && served(id) > before + 40, 60_000, what);
        };
        script = (async () => {
          try {
            await until(() => svc.learner.registry.connectedCount() === 2, 60_000, 'two actors');
            const s0 = startServer(svc.address, 's0', serverLogs);
            exits.push(s0.exit);
            await settle('s0', 'both actors planned onto s0');
            const s1 = startServer(svc.address, 's1', serverLogs);
            exits.push(s1.exit);
            await settle('s1', 'both actors planned onto the faster s1');
            s1.child.kill('SIGTERM');
            await settle('s0', 'both actors back on s0 after s1 left');
            metricsText = await (await fetch(`http://${svc.metricsAddress}/metrics`)).text();
          } catch (e) {
            console.error(
              'DEBUG',
              ['a0', 'a1'].map((a) => pool.serverOf(a)),
              pool.list(),
              logs
                .filter((l) => !l.startsWith('refused'))
                .slice(-60)
                .join('\n'),
              serverLogs.join('').slice(-3000),
            );
            throw e;
          } finally {
            stop.abort();
          }
        })();
      },
    });
    await script;
    const acc = s.stepAccounting;
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
    expect(acc.assembled).toBe(acc.trained + acc.queued + acc.discarded);
    expect(acc.duplicates).toBe(0);
    expect(acc.trained).toBeGreaterThan(0);
    expect(s.servers.map((x: { id: string }) => x.id).sort()).toEqual(['s0', 's1']);
    for (const x of s.servers) expect(x.stepsServed).toBeGreaterThan(0);
    expect(s.servers.find((x: { id: string }) => x.id === 's0').rejected).toBe(0);
    // Nobody called move(): s0 joined (2 moves), s1 joined (2), s1 left (2, through the learner or directly).
    expect(s.serverMoves).toBeGreaterThanOrEqual(6);
    const replans = logs.filter((l) => /^re-plan \(/.test(l));
    expect(replans.some((l) => /inference server s0 joined.* 2 server moves/.test(l))).toBe(true);
    expect(replans.some((l) => /inference server s1 joined.* 2 server moves/.test(l))).toBe(true);
    expect(replans.some((l) => /inference server s1 left/.test(l))).toBe(true);
    const count = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metricsText)?.[1] ?? -1);
    // Fetched after s1 left: the two actor joins and the three server events at least, each also timed.
    expect(count('coknight_replans_total')).toBeGreaterThanOrEqual(5);
    expect(count('coknight_replan_solve_seconds_count')).toBe(count('coknight_replans_total'));
    expect(count('coknight_replan_settle_seconds_count')).toBeGreaterThanOrEqual(4);
    // s1 stopped on SIGTERM (exit 0); s0 exits cleanly when the learner ends the run.
    expect(await Promise.all(exits)).toEqual([0, 0]);
  }, 120_000);
});
