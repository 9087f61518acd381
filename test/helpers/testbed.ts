import { type HostCapabilities, probeHost } from '../../src/testbed/host.js';

/** This host's capabilities and why the real testbed cannot be built here (no root/netns, no cgroup cpu controller), or null. */
export function testbedHost(): { cap: HostCapabilities; why: string | null } {
  const cap = probeHost();
  return { cap, why: cap.noNetns ?? (cap.cgroup ? null : 'no cgroup cpu controller') };
}
