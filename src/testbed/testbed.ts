/**
 * An emulated edge testbed on one Linux host: `coknight learner` and every `coknight actor` (the real
 * CLI, unchanged) each in a network namespace on a bridge, links shaped with netem, each actor's CPU
 * limited by a cgroup quota calibrated to its device class, the learner pinned to its own cores.
 * The testbed only places and limits processes; what a run did comes from the learner's run
 * directory and the actors' own final statistics. Everything it creates is removed at the end, on
 * Ctrl-C and by `coknight testbed down` after a crash. Without root it falls back to loopback, the
 * application pacer for links, and device FLOP/s reported to the planner but not enforced — and
 * says so in testbed.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, overridesFromSets } from '../config/load.js';
import { readJsonl } from '../run/run-log.js';
import { parseBandwidth } from '../util/bandwidth.js';
import { calibrate, DEVICE_CLASSES } from './classes.js';
import { type CgroupPlan, createGroups, removeGroups, setQuota } from './cgroups.js';
import { type HostCapabilities, probeHost } from './host.js';
import { actorHost, buildNetwork, hostAddress, learnerAddress, leftovers, learnerHost, netemAvailable, removeNetwork } from './network.js';
import { type ProgressWatch, watchProgress } from './progress-watch.js';
import { actorsOf, type SiteGroup, siteDeviceId, siteWorkersOf, type Topology, type TopologyHost } from './topology.js';

const BIN = fileURLToPath(new URL('../../bin/coknight.js', import.meta.url));
const PORT = 8686;
const METRICS_PORT = 9464;
const TOKEN = 'coknight-testbed';

export interface TestbedActor {
  readonly name: string;
  readonly index: number;
  readonly group: Topology['devices'][number];
  /** Set on a site's coordinator and on its workers. */
  readonly site?: SiteGroup;
  /** A site worker's position in its site's device list. */
  readonly worker?: number;
  /** FLOP/s its class should measure on this host, and the CPU share first estimated to give it. */
  readonly target: { flops: number; quota: number };
  /** The CPU share after calibration inside its cgroup, and what it measured there last. */
  quota: number;
  calibratedFlops?: number;
}

export interface TestbedReport {
  readonly topology: string;
  readonly emulation: string;
  /** Σ of the devices' calibrated quotas against the actor CPUs (a share above 1 means they cannot all run at their class at once), or null without cgroups. */
  readonly actorCpuShare: { quotas: number; cpus: number } | null;
  readonly hostFlops: number;
  readonly learnerAddress: string;
  readonly metrics: string | null;
  readonly actors: {
    name: string;
    class: string;
    targetFlops: number;
    quota: number;
    /** Measured in its cgroup by the calibration probe, alone on its cores. */
    calibratedFlops: number | null;
    /** What the actor itself measured at start-up (with its neighbours starting beside it). */
    measuredFlops: number | null;
    linkRate: number;
    measuredUpRate: number | null;
    splitPoint: number | null;
    /** Env steps per second the actor reported, from its first step to its end. */
    envStepsPerSec: number | null;
    /** On a site's coordinator: its head step time and weight syncs, as it counted them. */
    site?: SiteActorStats | null;
    exit: number | null;
  }[];
  /** The sites' worker devices (each its own host on the testbed, limited to its class). */
  readonly siteWorkers: {
    name: string;
    site: string;
    class: string;
    targetFlops: number;
    quota: number;
    calibratedFlops: number | null;
    linkRate: number;
    exit: number | null;
  }[];
  readonly summary: Record<string, unknown> | null;
}

/** The plan of a testbed: its actors (site coordinators included) and what each must measure (calibrated on this host). */
export function planTestbed(t: Topology, hostFlops: number, mhz: number): TestbedActor[] {
  return actorsOf(t).map((a) => planHost(a, hostFlops, mhz));
}

/** The sites' worker devices and what each must measure. */
export function planSiteWorkers(t: Topology, hostFlops: number, mhz: number): TestbedActor[] {
  return siteWorkersOf(t).map((w) => planHost(w, hostFlops, mhz));
}

function planHost(a: TopologyHost & { worker?: number }, hostFlops: number, mhz: number): TestbedActor {
  const target = calibrate(DEVICE_CLASSES[a.group.class], hostFlops, mhz);
  return { ...a, target, quota: target.quota };
}

/** Where a site's coordinator waits for its workers on the testbed. */
const SITE_PORT = 8700;

/** The coordinator's site flags: on the real testbed it waits for the workers the testbed starts; otherwise it spawns them here. */
function siteArgs(site: SiteGroup, coordinatorAddress: string | null): string[] {
  const args = ['--site-devices', site.devices.join(','), '--site-plan', site.plan, '--site-link', site.workerLink.rate];
  args.push('--site-latency-ms', String(site.workerLink.delayMs));
  if (coordinatorAddress) args.push('--site-listen', `${coordinatorAddress}:${SITE_PORT}`, '--site-host-class', site.coordinator);
  return args;
}

/** The network the run trains (`model` after the env's presets and the topology's train.set; 'auto' resolves by the observation). */
export function trainedNetwork(t: Topology): string {
  return loadConfig(undefined, overridesFromSets(t.train.set, { env: { id: t.train.env }, mode: t.train.mode })).model;
}

/** This host's FLOP/s on the network the run trains, with the devices' backend (best of 3 unlimited probes, one thread, like an actor). */
export async function measureHostFlops(t: Topology): Promise<number> {
  let best = 0;
  for (let i = 0; i < 3; i++) best = Math.max(best, await probeFlops([], t));
  return best;
}

/** Removes everything testbed `name` created (namespaces, links, qdiscs with them, cgroups and their processes). */
export function testbedDown(name: string, cap: HostCapabilities = probeHost()): { namespaces: number; links: number } {
  const before = cap.noNetns ? { namespaces: [], links: [] } : leftovers(name);
  if (cap.cgroup) removeGroups(cap.cgroup, name);
  if (!cap.noNetns) removeNetwork(name);
  return { namespaces: before.namespaces.length, links: before.links.length };
}

interface Proc {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  out: string;
}

/** Starts `coknight …` in namespace `ns` (or here) after joining the cgroups in `procsFiles`. */
function launch(args: string[], ns: string | null, procsFiles: string[], log: (m: string) => void, prefix: string): Proc {
  const cmd = [...(ns ? ['ip', 'netns', 'exec', ns] : []), process.execPath, BIN, ...args];
  // The shell joins the groups first, then execs: the measured FLOP/s at start-up is already limited.
  const child = spawn('sh', ['-c', 'for f in $CK_PROCS; do echo $$ > "$f"; done; exec "$@"', 'sh', ...cmd], {
    env: { ...process.env, CK_PROCS: procsFiles.join(' '), COKNIGHT_TOKEN: TOKEN },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const p: Proc = { child, out: '', exit: new Promise((r) => child.on('exit', (code) => r(code))) };
  child.stdout!.on('data', (d: Buffer) => (p.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.trim()) log(`${prefix} ${line}`);
  });
  return p;
}

/** Calibrated quotas by device class, env, network and backend: hosts of one class are identical processes, so one calibration serves all. */
export type QuotaCache = Map<string, { quota: number; flops: number | undefined; by: string }>;

/** A class's key in a QuotaCache: what the calibration measured (env, network, the devices' backend). */
export function quotaKey(deviceClass: string, t: Topology): string {
  return `${deviceClass}|${t.train.env}|${trainedNetwork(t)}|${t.train.deviceBackend}`;
}

export interface TestbedRunOptions {
  readonly runDir: string;
  /** Calibrations to reuse and extend (a study running many testbeds on one host passes one cache to all). */
  readonly quotaCache?: QuotaCache;
  readonly log?: (msg: string) => void;
  readonly signal?: AbortSignal;
  /** Once every actor is started, a learner that logs no update for this long is stopped and the run fails (default 300 s). */
  readonly stallMs?: number;
}

const STALL_MS = 300_000;

/** Builds the testbed, runs the topology's training on it, tears it down and reports. */
export async function runTestbed(t: Topology, source: string, opts: TestbedRunOptions): Promise<TestbedReport> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const cap = probeHost();
  const real = cap.noNetns === null && cap.cgroup !== null;
  const runDir = resolve(opts.runDir);
  mkdirSync(runDir, { recursive: true });
  const hostFlops = await measureHostFlops(t);
  const actors = planTestbed(t, hostFlops, cap.mhz);
  const workers = planSiteWorkers(t, hostFlops, cap.mhz);
  log(
    `testbed ${t.name}: host ${(hostFlops / 1e9).toFixed(2)} GFLOP/s on ${t.train.env}; ${actors.length} actors${workers.length ? `, ${workers.length} site workers` : ''}`,
  );
  for (const a of [...actors, ...workers])
    log(
      `  ${a.name}: ${a.group.class} → ${(a.target.flops / 1e9).toFixed(3)} GFLOP/s (${(100 * a.target.quota).toFixed(1)}% of a core), link ${a.group.link.rate}${a.site && a.worker === undefined ? `, site of ${a.site.devices.join(', ')}` : ''}`,
    );
  const emulation = real
    ? `network namespaces on a bridge, tbf-shaped links${netemAvailable() ? ' with netem delay/jitter/loss' : ' (no netem in this kernel: delay, jitter and loss not emulated)'}, cgroup v${cap.cgroup!.version} CPU quotas and cpusets`
    : `loopback with the application pacer for links; device FLOP/s reported to the planner but not enforced (${cap.noNetns ?? 'no cgroup cpu controller'})`;
  if (!real) log(`testbed: ${emulation}`);
  testbedDown(t.name, cap); // leftovers of an earlier crash
  const procs: Proc[] = [];
  const workerProcs: Proc[] = [];
  const quotas: QuotaCache = opts.quotaCache ?? (new Map() as QuotaCache);
  const calibrated = async (plan: CgroupPlan, a: TestbedActor): Promise<number> => {
    const key = quotaKey(a.group.class, t);
    const known = quotas.get(key);
    if (known) {
      if (known.quota < 1) setQuota(cap.cgroup!, plan, known.quota);
      a.calibratedFlops = known.flops;
      log(`  ${a.name}: ${(100 * known.quota).toFixed(1)}% of a core, as calibrated on ${known.by} (same class)`);
      return known.quota;
    }
    const quota = await calibrateQuota(cap.cgroup!, plan, a, t, log);
    quotas.set(key, { quota, flops: a.calibratedFlops, by: a.name });
    return quota;
  };
  let learner: Proc | undefined;
  let watch: ProgressWatch | undefined;
  let stalled = '';
  const stop = (): void => {
    learner?.child.kill('SIGINT');
  };
  opts.signal?.addEventListener('abort', stop, { once: true });
  try {
    if (real) buildNetwork(t, [...actors, ...workers]);
    const listen = real ? `${learnerAddress(t)}:${PORT}` : `127.0.0.1:${PORT}`;
    const metrics = real ? `${learnerAddress(t)}:${METRICS_PORT}` : '127.0.0.1:0';
    const learnerGroups = real ? createGroups(cap.cgroup!, t.name, 'learner', 1, t.learner.cpus).procsFiles : [];
    const set = t.train.set.flatMap((s) => ['--set', s]);
    learner = launch(
      [
        'learner',
        '--listen',
        listen,
        '--token',
        TOKEN,
        '--env',
        t.train.env,
        '--mode',
        t.train.mode,
        '--frames',
        String(t.train.frames),
        '--run-dir',
        runDir,
        '--metrics',
        metrics,
        '--progress',
        'lines',
        ...set,
      ],
      real ? learnerHost(t).ns : null,
      learnerGroups,
      log,
      '[learner]',
    );
    // Workers are calibrated before any actor starts, so their probes have the actors' cores to themselves.
    const workerGroups: [TestbedActor, CgroupPlan][] = [];
    if (real)
      for (const w of workers) {
        const plan = createGroups(cap.cgroup!, t.name, w.name, w.target.quota, t.actorCpus);
        w.quota = await calibrated(plan, w);
        workerGroups.push([w, plan]);
      }
    for (const a of actors) {
      let groups: string[] = [];
      if (real) {
        const plan = createGroups(cap.cgroup!, t.name, a.name, a.target.quota, t.actorCpus);
        a.quota = await calibrated(plan, a);
        groups = plan.procsFiles;
      }
      const args = ['actor', '--learner', listen, '--actor-id', a.name, '--envs', String(a.group.envs), '--streams', String(a.group.streams)];
      args.push('--inference', t.train.actorInference, '--backend', t.train.deviceBackend);
      args.push('--link-bytes-per-sec', String(parseBandwidth(a.group.link.rate)), '--final-stats', '--exit-with-parent', '--give-up-after', '120s');
      if (!real) args.push('--bandwidth', a.group.link.rate, '--device-flops', String(a.target.flops));
      if (a.site) args.push(...siteArgs(a.site, real ? actorHost(t, a.index).address : null));
      procs.push(launch(args, real ? actorHost(t, a.index).ns : null, groups, log, `[${a.name}]`));
    }
    // Each worker in its own namespace and cgroup; it connects once its coordinator listens.
    for (const [w, plan] of workerGroups) {
      const coordinator = actors.find((a) => a.site === w.site)!;
      const args = ['site-worker', '--connect', `${actorHost(t, coordinator.index).address}:${SITE_PORT}`, '--id', siteDeviceId(w.site!, w.worker!)];
      args.push('--retry-for', '180', '--backend', t.train.deviceBackend);
      workerProcs.push(launch(args, actorHost(t, w.index).ns, plan.procsFiles, log, `[${w.name}]`));
    }
    const share = real ? { quotas: [...actors, ...workers].reduce((q, a) => q + a.quota, 0), cpus: cpuCount(t.actorCpus) } : null;
    if (share && share.quotas > share.cpus)
      log(
        `testbed: the devices' quotas add up to ${(100 * share.quotas).toFixed(0)}% of a core on ${share.cpus} actor CPU(s) (${t.actorCpus}): ` +
          'busy together they get less than their class; give actorCpus more cores or use fewer or weaker devices',
      );
    const trainLog = join(runDir, 'train.jsonl');
    const stallMs = opts.stallMs ?? STALL_MS;
    watch = watchProgress(
      () => (existsSync(trainLog) ? statSync(trainLog).size : -1),
      stallMs,
      (idle) => {
        stalled = `the learner logged no update for ${Math.round(idle / 1000)} s (${trainLog}); the actors' output above says why`;
        log(`testbed: ${stalled}: stopping the run`);
        stop();
      },
    );
    const code = await learner.exit;
    watch.stop();
    const exited = (p: Proc): Promise<number | null> => Promise.race([p.exit, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    const exits = await Promise.all(procs.map(exited));
    const workerExits = await Promise.all(workerProcs.map(exited));
    const summaryPath = join(runDir, 'summary.json');
    const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, unknown>) : null;
    if (code !== 0 && !opts.signal?.aborted) log(`testbed: the learner exited with code ${code}`);
    const joins = readJoins(runDir);
    const report: TestbedReport = {
      topology: source,
      emulation,
      actorCpuShare: share,
      hostFlops,
      learnerAddress: listen,
      metrics: real ? `http://${metrics}/metrics (from this host via ${hostAddress(t)})` : null,
      actors: actors.map((a, i) => {
        const stats = lastJson(procs[i].out);
        const bytes = stats?.bytes as { total?: { sentBytes?: number } } | undefined;
        const wall = Number(stats?.wallSeconds ?? 0);
        return {
          name: a.name,
          class: a.group.class,
          targetFlops: a.target.flops,
          quota: a.quota,
          calibratedFlops: a.calibratedFlops ?? null,
          measuredFlops: joins.get(a.name)?.flops ?? null,
          linkRate: parseBandwidth(a.group.link.rate),
          measuredUpRate: bytes?.total?.sentBytes && wall > 0 ? bytes.total.sentBytes / wall : null,
          splitPoint: finalSplit(summary, a.name) ?? joins.get(a.name)?.splitPoint ?? null,
          envStepsPerSec: wall > 0 && typeof stats?.envSteps === 'number' ? stats.envSteps / wall : null,
          ...(a.site ? { site: siteStats(stats) } : {}),
          exit: exits[i],
        };
      }),
      siteWorkers: workers.map((w, i) => ({
        name: w.name,
        site: w.site!.id,
        class: w.group.class,
        targetFlops: w.target.flops,
        quota: w.quota,
        calibratedFlops: w.calibratedFlops ?? null,
        linkRate: parseBandwidth(w.group.link.rate),
        exit: real ? (workerExits[i] ?? null) : null,
      })),
      summary,
    };
    writeFileSync(join(runDir, 'testbed.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (stalled) throw new Error(`testbed ${t.name}: ${stalled}`);
    return report;
  } finally {
    watch?.stop();
    opts.signal?.removeEventListener('abort', stop);
    for (const p of [learner, ...procs, ...workerProcs]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
    testbedDown(t.name, cap);
  }
}

export interface SiteActorStats {
  /** Mean milliseconds of one site head step (layers 1..y across the site's devices). */
  readonly headMsPerStep: number;
  readonly syncs: number;
  readonly syncSeconds: number;
}

/** A site coordinator's own account of its steps (the actor's final stats). */
function siteStats(stats: Record<string, unknown> | null): SiteActorStats | null {
  const steps = Number(stats?.steps ?? 0);
  if (!stats || steps === 0) return null;
  return {
    headMsPerStep: (1000 * Number(stats.siteHeadSeconds ?? 0)) / steps,
    syncs: Number(stats.siteSyncs ?? 0),
    syncSeconds: Number(stats.siteSyncSeconds ?? 0),
  };
}

/** The split point the learner's summary reports for an actor (streams of one actor share its plan). */
function finalSplit(summary: Record<string, unknown> | null, name: string): number | null {
  const list = (summary?.actors ?? []) as { id: string; splitPoint: number }[];
  return list.find((a) => a.id === name || a.id.startsWith(`${name}.`))?.splitPoint ?? null;
}

/** Builds the network and cgroups only and leaves them (`coknight testbed up`); `down` removes them. */
export async function testbedUp(t: Topology, log: (m: string) => void): Promise<TestbedActor[]> {
  const cap = probeHost();
  if (cap.noNetns || !cap.cgroup)
    throw new Error(`testbed up needs root, ip netns, tc and a cgroup cpu controller here: ${cap.noNetns ?? 'no cgroup cpu controller'}`);
  const hostFlops = await measureHostFlops(t);
  const actors = planTestbed(t, hostFlops, cap.mhz);
  const workers = planSiteWorkers(t, hostFlops, cap.mhz);
  testbedDown(t.name, cap);
  buildNetwork(t, [...actors, ...workers]);
  createGroups(cap.cgroup, t.name, 'learner', 1, t.learner.cpus);
  for (const a of [...actors, ...workers]) createGroups(cap.cgroup, t.name, a.name, a.target.quota, t.actorCpus);
  log(`learner: ip netns exec ${learnerHost(t).ns} coknight learner --listen ${learnerAddress(t)}:${PORT} …`);
  for (const a of actors) {
    const site = a.site ? ` ${siteArgs(a.site, actorHost(t, a.index).address).join(' ')}` : '';
    log(
      `${a.name}: ip netns exec ${actorHost(t, a.index).ns} coknight actor --learner ${learnerAddress(t)}:${PORT} --backend ${t.train.deviceBackend}${site} … (cgroup coknight/${t.name}/${a.name})`,
    );
  }
  for (const w of workers) {
    const c = actors.find((a) => a.site === w.site)!;
    log(
      `${w.name}: ip netns exec ${actorHost(t, w.index).ns} coknight site-worker --connect ${actorHost(t, c.index).address}:${SITE_PORT} --id ${siteDeviceId(w.site!, w.worker!)} --retry-for 180 --backend ${t.train.deviceBackend} (cgroup coknight/${t.name}/${w.name})`,
    );
  }
  return [...actors, ...workers];
}

/**
 * FLOP/s measured by a short process inside the groups (none: the host unlimited), on the network the
 * run trains with the devices' backend: what the actor will measure at start-up.
 */
function probeFlops(procsFiles: string[], t: Topology): Promise<number> {
  // The built package (also when this module runs from src/ under a test runner).
  const dist = join(BIN, '..', '..', 'dist');
  const network = trainedNetwork(t);
  const script = `const { initBackend } = await import(${JSON.stringify(join(dist, 'backend/index.js'))});
    await initBackend({ prefer: ${JSON.stringify(t.train.deviceBackend)}, log: () => {}, gradients: false });
    const { measureDeviceFlops } = await import(${JSON.stringify(join(dist, 'actor/profile.js'))});
    console.log(await measureDeviceFlops(${JSON.stringify(t.train.env)}, ${network === 'auto' ? 'undefined' : JSON.stringify(network)}));`;
  return new Promise((resolveFlops, reject) => {
    const child = spawn('sh', ['-c', 'for f in $CK_PROCS; do echo $$ > "$f"; done; exec "$@"', 'sh', process.execPath, '--input-type=module', '-e', script], {
      env: { ...process.env, CK_PROCS: procsFiles.join(' ') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) =>
      code === 0 && Number(out.trim()) > 0 ? resolveFlops(Number(out.trim())) : reject(new Error(`FLOP/s probe failed (${code}): ${err.trim()}`)),
    );
  });
}

/**
 * Closed-loop calibration: a CPU quota does not scale a process's speed exactly (its other threads,
 * scheduler granularity, the neighbours on its core), so the testbed measures inside the group and
 * corrects the quota until the measured FLOP/s is within 10% of the target: a proportional first
 * step, then regula falsi between the closest quotas measured below and above (at most 8 rounds of
 * three probes, the best of which counts).
 * Records the last measurement as the device's calibrated FLOP/s.
 */
async function calibrateQuota(
  cap: NonNullable<HostCapabilities['cgroup']>,
  plan: CgroupPlan,
  a: TestbedActor,
  t: Topology,
  log: (m: string) => void,
): Promise<number> {
  let quota = a.target.quota;
  if (quota >= 1) return 1;
  let lo: { q: number; f: number } | undefined;
  let hi: { q: number; f: number } | undefined;
  for (let round = 0; round < 8; round++) {
    // Best of three: a neighbour on the core can only lower a measurement, never raise it.
    let measured = 0;
    for (let i = 0; i < 3; i++) measured = Math.max(measured, await probeFlops(plan.procsFiles, t)); // one at a time: they share the quota
    a.calibratedFlops = measured;
    log(`  ${a.name}: ${(100 * quota).toFixed(1)}% of a core measures ${(measured / 1e9).toFixed(3)} GFLOP/s (target ${(a.target.flops / 1e9).toFixed(3)})`);
    if (Math.abs(measured / a.target.flops - 1) <= 0.1) break;
    if (measured < a.target.flops) lo = !lo || quota > lo.q ? { q: quota, f: measured } : lo;
    else hi = !hi || quota < hi.q ? { q: quota, f: measured } : hi;
    quota = lo && hi ? lo.q + ((a.target.flops - lo.f) * (hi.q - lo.q)) / (hi.f - lo.f) : quota * (a.target.flops / measured);
    quota = Math.min(1, Math.max(0.01, quota));
    setQuota(cap, plan, quota);
  }
  return quota;
}

function lastJson(out: string): Record<string, unknown> | null {
  const last = out.trim().split('\n').pop();
  if (!last?.startsWith('{')) return null;
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Each actor's last join event in train.jsonl: the FLOP/s it measured (under its limit) and its split point. */
function readJoins(runDir: string): Map<string, { flops: number | null; splitPoint: number }> {
  const out = new Map<string, { flops: number | null; splitPoint: number }>();
  for (const r of readJsonl(join(runDir, 'train.jsonl'))) {
    if (r.event !== 'join') continue;
    const e = r as { actor: string; splitPoint: number; profile?: { flops?: number } };
    const entry = { flops: e.profile?.flops ?? null, splitPoint: e.splitPoint };
    out.set(e.actor, entry);
    // Streams of a device (dev-0.0, dev-0.1) measured once, in its process: the device's entry.
    const device = /^(.+)\.\d+$/.exec(e.actor)?.[1];
    if (device !== undefined) out.set(device, entry);
  }
  return out;
}

/** CPUs in a cpuset list such as "1", "0-3" or "1,3-4". */
export function cpuCount(list: string): number {
  return list.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);
}
