/**
 * Actor processes a distributed run starts on this machine (`coknight actor`), restarted when one
 * dies. Each gets only what is its own — learner address, id, envs, link cap, streams, seed — and
 * takes the env and network from the learner's contract at registration.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunConfig } from '../config/schema.js';
import { linkBytesPerSec } from '../learner/index.js';

const BIN = fileURLToPath(new URL('../../bin/coknight.js', import.meta.url));

function actorBandwidth(config: RunConfig, i: number): string | number {
  const per = config.distributed.actorBandwidth;
  return per.length > 0 ? per[i % per.length] : config.distributed.bandwidth;
}

/** Arguments of `coknight actor` for spawned actor i. */
export function actorArgs(config: RunConfig, address: string, i: number): string[] {
  const bw = actorBandwidth(config, i);
  const link = linkBytesPerSec(bw);
  return [
    'actor',
    '--learner',
    address,
    '--actor-id',
    `a${i}`,
    '--envs',
    String(config.distributed.envsPerActor),
    '--seed',
    String(config.seed * 1000 + i),
    '--bandwidth',
    typeof bw === 'number' ? `${bw}B/s` : bw,
    ...(link !== undefined ? ['--link-bytes-per-sec', String(link)] : []),
    ...(config.distributed.tlsCa ? ['--tls-ca', config.distributed.tlsCa] : []),
    ...(config.env.romDir ? ['--rom-dir', config.env.romDir] : []),
    '--streams',
    String(config.distributed.streamsPerActor),
    '--inference',
    config.inference,
    '--final-stats',
    '--exit-with-parent',
  ];
}

interface ActorProc {
  readonly id: string;
  child: ChildProcess;
  restarts: number;
  final: Record<string, unknown> | null;
}

export interface ActorProcessesOptions {
  readonly token: string;
  readonly log: (msg: string) => void;
  /** Called for every actor process started (tests kill them to check fault tolerance). */
  readonly onSpawn?: (index: number, child: ChildProcess) => void;
}

export class ActorProcesses {
  private readonly procs: ActorProc[] = [];
  private stopping = false;

  constructor(
    private readonly config: RunConfig,
    private readonly address: string,
    private readonly opts: ActorProcessesOptions,
  ) {}

  start(count: number): void {
    for (let i = 0; i < count; i++) this.startOne(i, 0);
  }

  private startOne(i: number, restarts: number): void {
    const env = { ...process.env, COKNIGHT_TOKEN: this.opts.token };
    const child = spawn(process.execPath, [BIN, ...actorArgs(this.config, this.address, i)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const p: ActorProc = { id: `a${i}`, child, restarts, final: null };
    this.procs[i] = p;
    this.opts.onSpawn?.(i, child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString().trim();
      if (text && !this.stopping) this.opts.log(text);
    });
    child.on('exit', (code, signal) => {
      const last = out.trim().split('\n').pop();
      if (last?.startsWith('{')) {
        try {
          p.final = JSON.parse(last) as Record<string, unknown>;
        } catch {
          /* partial output of a killed actor */
        }
      }
      if (this.stopping || this.procs[i] !== p) return;
      this.opts.log(`actor a${i} exited (${signal ?? `code ${code}`}); restarting it`);
      setTimeout(() => {
        if (!this.stopping) this.startOne(i, restarts + 1);
      }, 500);
    });
  }

  /** No more restarts: actors that exit now (the learner ended the run) stay down. */
  stopRestarting(): void {
    this.stopping = true;
  }

  /** SIGTERM to every actor still running, SIGKILL to any still alive after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    const alive = (p: ActorProc): boolean => p.child.exitCode === null && p.child.signalCode === null;
    const live = this.procs.filter((p) => p && alive(p));
    const exits = live.map((p) => new Promise<void>((r) => p.child.once('exit', () => r())));
    for (const p of live) p.child.kill('SIGTERM');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(exits), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const p of live) if (alive(p)) p.child.kill('SIGKILL');
  }

  /** Restarts and the actor's own final statistics, for summary.json (keyed by the learner's actor id). */
  summaryFor(actorId: string): Record<string, unknown> {
    const p = this.procs.find((q) => q?.id === actorId.split('.')[0]);
    return p ? { restarts: p.restarts, actorView: p.final } : {};
  }
}
