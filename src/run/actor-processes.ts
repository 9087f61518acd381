/**
 * Actor processes a distributed run starts on this machine (`coknight actor`), restarted when one
 * dies. Each gets only what is its own — learner address, id, envs, link cap, streams, seed — and
 * takes the env and network from the learner's contract at registration. Sites (distributed.sites) are
 * actors too — ids site0, site1, … after the plain ones — whose process coordinates one worker process
 * per device (`coknight actor --site-devices`); to the learner each is one actor.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunConfig } from '../config/schema.js';
import { linkBytesPerSec } from '../learner/index.js';
import { DEVICE_CLASSES } from '../testbed/classes.js';

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
    '--upload-compression',
    config.distributed.uploadCompression,
    '--final-stats',
    '--exit-with-parent',
  ];
}

/** Arguments of `coknight actor` for site s of distributed.sites, spawned as process `index`. */
export function siteArgs(config: RunConfig, address: string, s: number, index: number): string[] {
  const site = config.distributed.sites[s];
  const args = actorArgs(config, address, index);
  args[args.indexOf('--actor-id') + 1] = `site${s}`;
  if (site.envs !== undefined) args[args.indexOf('--envs') + 1] = String(site.envs);
  const link = typeof site.link === 'number' ? `${site.link}B/s` : site.link;
  return [...args, '--site-devices', site.devices.join(','), '--site-plan', site.plan, '--site-link', link, '--site-latency-ms', String(site.latencyMs)];
}

/** distributed.sites names only known device classes (src/testbed/classes.ts). */
export function checkSites(config: RunConfig): void {
  config.distributed.sites.forEach((site, i) =>
    site.devices.forEach((c, j) => {
      if (!DEVICE_CLASSES[c])
        throw new Error(`distributed.sites[${i}].devices[${j}]: unknown device class "${c}"; use ${Object.keys(DEVICE_CLASSES).join(', ')}`);
    }),
  );
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

  /** `count` plain actors (a0…), then one process per distributed.sites entry (site0…). */
  start(count: number): void {
    checkSites(this.config);
    this.plain = count;
    for (let i = 0; i < count + this.config.distributed.sites.length; i++) this.startOne(i, 0);
  }

  private plain = 0;

  private startOne(i: number, restarts: number): void {
    const env = { ...process.env, COKNIGHT_TOKEN: this.opts.token };
    const site = i - this.plain;
    const args = site >= 0 ? siteArgs(this.config, this.address, site, i) : actorArgs(this.config, this.address, i);
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const p: ActorProc = { id: site >= 0 ? `site${site}` : `a${i}`, child, restarts, final: null };
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
      this.opts.log(`actor ${p.id} exited (${signal ?? `code ${code}`}); restarting it`);
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
