/**
 * The testbed's network: one namespace per host (learner and each actor) on a bridge, addresses on a
 * link-local /24 of its own (subnetFor), and every actor's link shaped in both
 * directions: the rate by tbf, delay, jitter and loss by netem under it where the kernel has netem
 * (`netemAvailable()`; where it does not, they are not emulated and the report says so); the uplink
 * on the actor's own interface, the downlink on the bridge side of its veth. Names carry the testbed's name, so `down` finds everything.
 */
import { parseBandwidth } from '../util/bandwidth.js';
import { sh, shQuiet } from './host.js';
import type { Topology } from './topology.js';

/**
 * Each testbed gets a link-local /24 of its own, 169.254.<n>.0/24 with n in 100..199 (the tests'
 * plain namespaces use 77 and 93): picked from the testbed's name, skipping any subnet an interface
 * on this host already has, so a leftover of another testbed (a run killed before its teardown) or
 * a second testbed at once routes nothing of this one's. Fixed for the process once chosen.
 */
const SUBNETS = { first: 100, count: 100 };

/** The third octet for testbed `name`, given the third octets of 169.254.x.0/24 subnets already in use. */
export function subnetFor(name: string, used: ReadonlySet<number>): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  for (let i = 0; i < SUBNETS.count; i++) {
    const n = SUBNETS.first + ((h + i) % SUBNETS.count);
    if (!used.has(n)) return n;
  }
  throw new Error(
    `testbed: every subnet 169.254.${SUBNETS.first}-${SUBNETS.first + SUBNETS.count - 1}.0/24 is in use on this host (ip -o addr show): remove leftovers with \`coknight testbed down --name <name>\``,
  );
}

/** Third octets of the 169.254.x.0/24 addresses this host's interfaces hold. */
function usedSubnets(): Set<number> {
  const out = new Set<number>();
  for (const m of sh('ip', '-o', '-4', 'addr', 'show').matchAll(/inet 169\.254\.(\d+)\./g)) out.add(Number(m[1]));
  return out;
}

const chosen = new Map<string, string>();

/** The testbed's subnet prefix ("169.254.<n>"), chosen on first use (before its bridge exists). */
export function testbedNet(t: Pick<Topology, 'name'>): string {
  let net = chosen.get(t.name);
  if (net === undefined) {
    net = `169.254.${subnetFor(t.name, usedSubnets())}`;
    chosen.set(t.name, net);
  }
  return net;
}

/** The learner's address inside testbed t. */
export function learnerAddress(t: Pick<Topology, 'name'>): string {
  return `${testbedNet(t)}.1`;
}

/** The bridge's own address, so this host can reach the hosts (the learner's /metrics). */
export function hostAddress(t: Pick<Topology, 'name'>): string {
  return `${testbedNet(t)}.254`;
}

export interface HostNames {
  readonly ns: string;
  /** Bridge-side end of the host's veth. */
  readonly veth: string;
  readonly address: string;
}

export function bridgeName(t: Topology): string {
  return `ckb${t.name}`;
}

export function learnerHost(t: Topology): HostNames {
  return { ns: `ck-${t.name}-learner`, veth: `ck${t.name}lh`, address: learnerAddress(t) };
}

export function actorHost(t: Topology, index: number): HostNames {
  return { ns: `ck-${t.name}-a${index}`, veth: `ck${t.name}${index}h`, address: `${testbedNet(t)}.${10 + index}` };
}

/** tbf (rate) and, where available, netem (delay, jitter, loss) for one direction of a link, as `tc qdisc add` argument lists. */
export function shapingCommands(dev: string, link: Topology['devices'][number]['link'], netem: boolean): string[][] {
  const bytes = parseBandwidth(link.rate);
  // A burst of ~20 ms at the rate (at least two full frames) keeps tbf accurate at high and low rates.
  const burst = Math.max(3200, Math.round(bytes / 50));
  const cmds = [
    ['tc', 'qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'tbf', 'rate', `${Math.round(bytes * 8)}bit`, 'burst', String(burst), 'latency', '400ms'],
  ];
  if (netem && (link.delayMs > 0 || link.lossPct > 0)) {
    const args = ['tc', 'qdisc', 'add', 'dev', dev, 'parent', '1:1', 'handle', '10:', 'netem', 'limit', '10000'];
    if (link.delayMs > 0) args.push('delay', `${link.delayMs}ms`, ...(link.jitterMs > 0 ? [`${link.jitterMs}ms`] : []));
    if (link.lossPct > 0) args.push('loss', `${link.lossPct}%`);
    cmds.push(args);
  }
  return cmds;
}

let netemCache: boolean | undefined;

/** Whether this kernel has the netem qdisc (containers often lack the module). */
export function netemAvailable(): boolean {
  if (netemCache !== undefined) return netemCache;
  const ns = 'ck-netem-probe';
  shQuiet('ip', 'netns', 'del', ns);
  sh('ip', 'netns', 'add', ns);
  try {
    netemCache = shQuiet('ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms');
  } finally {
    shQuiet('ip', 'netns', 'del', ns);
  }
  return netemCache;
}

function addHost(t: Topology, h: HostNames): void {
  const peer = `${h.veth.slice(0, -1)}n`;
  sh('ip', 'netns', 'add', h.ns);
  sh('ip', 'link', 'add', h.veth, 'type', 'veth', 'peer', 'name', peer);
  sh('ip', 'link', 'set', peer, 'netns', h.ns);
  sh('ip', 'netns', 'exec', h.ns, 'ip', 'link', 'set', peer, 'name', 'eth0');
  sh('ip', 'netns', 'exec', h.ns, 'ip', 'addr', 'add', `${h.address}/24`, 'dev', 'eth0');
  sh('ip', 'netns', 'exec', h.ns, 'ip', 'link', 'set', 'eth0', 'up');
  sh('ip', 'netns', 'exec', h.ns, 'ip', 'link', 'set', 'lo', 'up');
  sh('ip', 'link', 'set', h.veth, 'master', bridgeName(t));
  sh('ip', 'link', 'set', h.veth, 'up');
}

/** Builds the bridge, every namespace and every shaped link. */
export function buildNetwork(t: Topology, actors: { index: number; group: Topology['devices'][number] }[]): void {
  const br = bridgeName(t);
  sh('ip', 'link', 'add', br, 'type', 'bridge');
  sh('ip', 'addr', 'add', `${hostAddress(t)}/24`, 'dev', br);
  sh('ip', 'link', 'set', br, 'up');
  addHost(t, learnerHost(t));
  for (const a of actors) {
    const h = actorHost(t, a.index);
    addHost(t, h);
    const netem = netemAvailable();
    for (const c of shapingCommands('eth0', a.group.link, netem)) sh('ip', 'netns', 'exec', h.ns, ...c); // uplink
    for (const c of shapingCommands(h.veth, a.group.link, netem)) sh(...c); // downlink
  }
}

/** Namespaces and links of a testbed that exist now (whatever state it was left in). */
export function leftovers(name: string): { namespaces: string[]; links: string[] } {
  const namespaces = sh('ip', 'netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`ck-${name}-`));
  const links = sh('ip', '-o', 'link', 'show')
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && (n === `ckb${name}` || (n.startsWith(`ck${name}`) && n.endsWith('h'))));
  return { namespaces, links };
}

/** Removes every namespace (and with it the veth ends inside), veth and the bridge of testbed `name`. */
export function removeNetwork(name: string): void {
  const { namespaces, links } = leftovers(name);
  for (const ns of namespaces) shQuiet('ip', 'netns', 'del', ns);
  for (const l of links) shQuiet('ip', 'link', 'del', l);
}
