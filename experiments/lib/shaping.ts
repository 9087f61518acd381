/**
 * Per-actor links shaped by the testbed's tc (tbf, both directions) when this host allows it (root,
 * ip netns, tc), else the application pacer: the learner stays in this process on the testbed
 * bridge's address, each actor process runs in its own namespace. Says which one it used.
 */
import { probeHost } from '../../src/testbed/host.js';
import { actorHost, buildNetwork, hostAddress, removeNetwork } from '../../src/testbed/network.js';
import { actorsOf, parseTopology } from '../../src/testbed/topology.js';

export interface Links {
  /** 'tc' (kernel shaping in namespaces) or 'pacer' (coknight's application pacer on loopback). */
  readonly shaping: 'tc' | 'pacer';
  readonly why: string;
  /** What runCell needs for tc links; undefined with the pacer. */
  readonly cell?: { readonly listenHost: string; prefix(i: number): string[] };
  /** The pacer's per-actor cap ('unlimited' under tc: the kernel does it). */
  readonly pacer: string;
  /** Per-actor pacer caps in actor order, for distributed.actorBandwidth (all 'unlimited' under tc). */
  readonly actorBandwidth: string[];
}

/** Whether tc shaping is possible here, and if not why. */
export function tcShaping(): { ok: boolean; why: string } {
  const cap = probeHost();
  return cap.noNetns ? { ok: false, why: cap.noNetns } : { ok: true, why: 'root with ip netns and tc: links shaped by tbf in network namespaces' };
}

/**
 * Runs `fn` with `actors` links of `rate` (or one rate per actor), tc when possible, removing
 * everything afterwards.
 */
export async function withLinks<T>(
  name: string,
  actors: number,
  rate: string | readonly string[],
  fn: (links: Links) => Promise<T>,
  prefer: 'tc' | 'pacer' = 'tc',
): Promise<T> {
  const rates = typeof rate === 'string' ? Array.from({ length: actors }, () => rate) : [...rate];
  if (rates.length !== actors) throw new RangeError(`withLinks: ${rates.length} rates for ${actors} actors`);
  const tc = tcShaping();
  if (prefer === 'pacer' || !tc.ok)
    return fn({ shaping: 'pacer', why: prefer === 'pacer' ? 'pacer requested' : `no tc shaping (${tc.why})`, pacer: rates[0], actorBandwidth: rates });
  // One device group per run of equal rates, so that actor i (topology order) gets rates[i].
  const devices: { id: string; class: string; count: number; link: { rate: string } }[] = [];
  for (const r of rates) {
    const last = devices.at(-1);
    if (last && last.link.rate === r) last.count++;
    else devices.push({ id: `g${devices.length}`, class: 'host', count: 1, link: { rate: r } });
  }
  const t = parseTopology({ name, devices }, `${name} (generated)`);
  removeNetwork(name);
  try {
    buildNetwork(t, actorsOf(t));
    return await fn({
      shaping: 'tc',
      why: tc.why,
      pacer: 'unlimited',
      actorBandwidth: rates.map(() => 'unlimited'),
      cell: { listenHost: hostAddress(t), prefix: (i) => ['ip', 'netns', 'exec', actorHost(t, i).ns] },
    });
  } finally {
    removeNetwork(name);
  }
}
