/**
 * What the testbed needs from the host: root, `ip`/`tc`, network namespaces, and a cgroup cpu
 * controller (v2 `cpu.max` where the unified hierarchy has it, v1 `cpu.cfs_quota_us` otherwise) and
 * cpuset. `probeHost()` says which are there and, when something is missing, why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export function sh(...args: string[]): string {
  return execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** Runs a command and ignores failure (teardown of something that may already be gone). */
export function shQuiet(...args: string[]): boolean {
  try {
    sh(...args);
    return true;
  } catch {
    return false;
  }
}

export interface HostCapabilities {
  /** Why the testbed cannot build namespaces here (null: it can). */
  readonly noNetns: string | null;
  readonly cgroup: { readonly version: 1 | 2; readonly cpuRoot: string; readonly cpusetRoot: string | null } | null;
  readonly mhz: number;
}

export function probeHost(): HostCapabilities {
  let noNetns: string | null = null;
  if (process.getuid?.() !== 0) noNetns = 'not root';
  else {
    try {
      sh('ip', 'netns', 'add', 'ck-probe');
      sh('ip', 'netns', 'del', 'ck-probe');
      sh('tc', '-V');
    } catch (e) {
      noNetns = `ip netns/tc unavailable: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  let cgroup: HostCapabilities['cgroup'] = null;
  const unified = existsSync('/sys/fs/cgroup/cgroup.controllers')
    ? '/sys/fs/cgroup'
    : existsSync('/sys/fs/cgroup/unified/cgroup.controllers')
      ? '/sys/fs/cgroup/unified'
      : null;
  if (unified && readFileSync(`${unified}/cgroup.controllers`, 'utf8').split(/\s+/).includes('cpu')) {
    cgroup = { version: 2, cpuRoot: unified, cpusetRoot: readFileSync(`${unified}/cgroup.controllers`, 'utf8').includes('cpuset') ? unified : null };
  } else if (existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) {
    cgroup = { version: 1, cpuRoot: '/sys/fs/cgroup/cpu', cpusetRoot: existsSync('/sys/fs/cgroup/cpuset/cpuset.cpus') ? '/sys/fs/cgroup/cpuset' : null };
  }
  const m = /cpu MHz\s*:\s*([\d.]+)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '');
  return { noNetns, cgroup: process.getuid?.() === 0 ? cgroup : null, mhz: m ? Number(m[1]) : 2000 };
}
