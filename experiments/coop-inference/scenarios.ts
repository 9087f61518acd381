/** The experiment's site instances: measured host tables, scaled per class by the testbed's calibrated ratio. */
import type { MeasuredLayer } from '../../src/coop/profile-site.js';
import { scaleProfile } from '../../src/coop/profile-site.js';
import type { NetworkSpec } from '../../src/model/index.js';
import { parseSiteInstance, type SiteInstance } from '../../src/partition/coop/index.js';
import { calibrate, DEVICE_CLASSES } from '../../src/testbed/classes.js';

/** Homogeneous: all rpi4. Heterogeneous: the classes cycle phone, rpi4, jetson-nano, rpi3 (fast to slow). */
export const MIXES = {
  homogeneous: (n: number) => Array.from({ length: n }, () => 'rpi4'),
  heterogeneous: (n: number) => Array.from({ length: n }, (_, i) => ['phone', 'rpi4', 'jetson-nano', 'rpi3'][i % 4]),
} as const;
export type Mix = keyof typeof MIXES;

export function siteInstance(
  network: NetworkSpec,
  host: readonly MeasuredLayer[],
  mhz: number,
  classes: readonly string[],
  link: { bytesPerSec: number; latencySeconds: number },
): SiteInstance {
  const profiles: Record<string, MeasuredLayer[]> = {};
  for (const c of new Set(classes)) {
    const { quota } = calibrate(DEVICE_CLASSES[c], 1, mhz); // quota = class peak / host peak
    profiles[c] = scaleProfile(host, 1 / quota);
  }
  return parseSiteInstance({
    kind: 'site',
    network,
    inputShape: [84, 84, 4],
    batch: 1,
    profiles,
    devices: classes.map((c, i) => ({ id: `${c}-${i}`, class: c, linkBytesPerSec: link.bytesPerSec, latencySeconds: link.latencySeconds })),
  });
}
