/**
 * Site workers on the testbed: each in its own network namespace behind a tbf-shaped veth (both
 * directions, src/testbed/network.ts) and in a cgroup whose CPU quota makes it as fast as its class
 * (calibrated ratio, src/testbed/classes.ts). The coordinator stays in this process, on the bridge.
 */
import type { SiteDevice } from '../../src/coop/site.js';
import { removeGroups, createGroups } from '../../src/testbed/cgroups.js';
import { calibrate, DEVICE_CLASSES } from '../../src/testbed/classes.js';
import { probeHost } from '../../src/testbed/host.js';
import { actorHost, buildNetwork, hostAddress, netemAvailable, removeNetwork } from '../../src/testbed/network.js';
import { actorsOf, topologySchema } from '../../src/testbed/topology.js';

const NAME = 'coop';

/** Why the testbed cannot run here, or null. */
export function testbedUnavailable(): string | null {
  const cap = probeHost();
  return cap.noNetns ?? (cap.cgroup ? null : 'no cpu cgroup controller');
}

export const testbedHasNetem = (): boolean => netemAvailable();

export async function withTestbedSite<T>(classes: readonly string[], rate: string, run: (devices: SiteDevice[], host: string) => Promise<T>): Promise<T> {
  const cap = probeHost();
  if (!cap.cgroup) throw new Error('testbed site: no cpu cgroup controller');
  const cgroup = cap.cgroup;
  const t = topologySchema.parse({ name: NAME, devices: classes.map((c, i) => ({ id: `d${i}`, class: c, count: 1, link: { rate } })) });
  const actors = actorsOf(t);
  removeNetwork(NAME);
  buildNetwork(t, actors);
  try {
    const devices = actors.map((a): SiteDevice => {
      const { quota } = calibrate(DEVICE_CLASSES[a.group.class], 1, cap.mhz);
      const plan = createGroups(cgroup, NAME, a.name, quota, t.actorCpus);
      const join = plan.procsFiles.map((f) => `echo $$ > ${f}`).join(' && ');
      return { id: a.name, wrap: ['sh', '-c', `${join} && exec "$@"`, 'sh', 'ip', 'netns', 'exec', actorHost(t, a.index).ns] };
    });
    return await run(devices, hostAddress(t));
  } finally {
    removeNetwork(NAME);
    removeGroups(cgroup, NAME);
  }
}
