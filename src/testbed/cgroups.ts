/**
 * CPU limits for the testbed's processes: one cgroup per actor whose quota is its class's share of a
 * core (a 10 ms period, longer only for shares under 10%: a ~200 ms FLOP/s measurement sees the limit and not its bursts), and
 * cpusets that keep the learner on its own core(s) and the actors on theirs. v1 and v2 both.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostCapabilities } from './host.js';

const PERIOD_US = 10_000;
/** The kernel's smallest CFS quota per period (v1 and v2 both refuse less than 1 ms). */
const MIN_QUOTA_US = 1000;
const MAX_PERIOD_US = 1_000_000;

/**
 * The CFS quota and period that give `quota` of a core (null: unlimited). The period is 10 ms unless
 * the share needs a longer one to reach the kernel's 1 ms minimum quota: at 10 ms every share under
 * 10% would be clamped to 10% (a 4.8% device measured the same as a 9.6% one).
 */
export function cpuLimit(quota: number): { quotaUs: number; periodUs: number } | null {
  if (!(quota > 0)) throw new RangeError(`cpu quota must be a fraction of a core > 0, got ${quota}`);
  if (quota >= 1) return null;
  const periodUs = Math.min(MAX_PERIOD_US, Math.max(PERIOD_US, Math.ceil(MIN_QUOTA_US / quota)));
  return { quotaUs: Math.max(MIN_QUOTA_US, Math.round(quota * periodUs)), periodUs };
}

function writeLimit(cap: NonNullable<HostCapabilities['cgroup']>, cpuDir: string, quota: number): void {
  const l = cpuLimit(quota);
  if (cap.version === 1) {
    write(join(cpuDir, 'cpu.cfs_period_us'), String(l?.periodUs ?? PERIOD_US));
    write(join(cpuDir, 'cpu.cfs_quota_us'), l ? String(l.quotaUs) : '-1');
  } else {
    write(join(cpuDir, 'cpu.max'), l ? `${l.quotaUs} ${l.periodUs}` : `max ${PERIOD_US}`);
  }
}

export interface CgroupPlan {
  /** Files a process writes its pid to, to join its groups. */
  readonly procsFiles: string[];
  readonly dirs: string[];
}

function write(path: string, value: string): void {
  writeFileSync(path, value);
}

/** Creates the groups of one process: a cpu quota (fraction of one core; 1 = none) and a cpuset. */
export function createGroups(cap: NonNullable<HostCapabilities['cgroup']>, testbed: string, proc: string, quota: number, cpus: string): CgroupPlan {
  const dirs: string[] = [];
  const procsFiles: string[] = [];
  const base = (root: string): string => join(root, 'coknight', testbed);
  if (cap.version === 1) {
    const cpuDir = join(base(cap.cpuRoot), proc);
    mkdirSync(cpuDir, { recursive: true });
    dirs.push(cpuDir);
    writeLimit(cap, cpuDir, quota);
    procsFiles.push(join(cpuDir, 'cgroup.procs'));
    if (cap.cpusetRoot) {
      // v1 cpusets need cpus and mems set at every level before a task may join.
      const mems = readFileSync(join(cap.cpusetRoot, 'cpuset.mems'), 'utf8').trim();
      let dir = cap.cpusetRoot;
      for (const part of ['coknight', testbed, proc]) {
        dir = join(dir, part);
        mkdirSync(dir, { recursive: true });
        write(join(dir, 'cpuset.cpus'), part === proc ? cpus : readFileSync(join(cap.cpusetRoot, 'cpuset.cpus'), 'utf8').trim());
        write(join(dir, 'cpuset.mems'), mems);
      }
      dirs.push(dir);
      procsFiles.push(join(dir, 'cgroup.procs'));
    }
  } else {
    let dir = cap.cpuRoot;
    for (const part of ['coknight', testbed, proc]) {
      // Enable the controllers for the children of each level (a no-op where already on).
      write(join(dir, 'cgroup.subtree_control'), cap.cpusetRoot ? '+cpu +cpuset' : '+cpu');
      dir = join(dir, part);
      mkdirSync(dir, { recursive: true });
    }
    writeLimit(cap, dir, quota);
    if (cap.cpusetRoot) write(join(dir, 'cpuset.cpus'), cpus);
    dirs.push(dir);
    procsFiles.push(join(dir, 'cgroup.procs'));
  }
  return { dirs, procsFiles };
}

/** Changes the cpu quota of a group made by createGroups (its first directory is the cpu group). */
export function setQuota(cap: NonNullable<HostCapabilities['cgroup']>, plan: CgroupPlan, quota: number): void {
  writeLimit(cap, plan.dirs[0], quota);
}

/** Pids still in a group directory (and its children). */
export function groupPids(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const own = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  const sub = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  return [...own, ...sub.flatMap((d) => groupPids(join(dir, d.name)))];
}

/** Kills what is left in the testbed's groups and removes them, deepest first. */
export function removeGroups(cap: NonNullable<HostCapabilities['cgroup']>, testbed: string): void {
  for (const root of [cap.cpuRoot, cap.cpusetRoot]) {
    if (!root) continue;
    const top = join(root, 'coknight', testbed);
    for (const pid of groupPids(top)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const rm = (dir: string): void => {
      if (!existsSync(dir)) return;
      for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) rm(join(dir, d.name));
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch {
          // A killed task leaves its group a moment later.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    };
    rm(top);
    // The shared parent goes too once no testbed uses it.
    try {
      rmdirSync(join(root, 'coknight'));
    } catch {
      /* another testbed's groups are still there, or it never existed */
    }
  }
}
