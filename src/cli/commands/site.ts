/**
 * The site side of three commands: `profile --site` (measured planner input), `partition solve` on a
 * site instance (mls | lcpss-osds | sls | single | exhaustive) and `simulate --site` (predicted latency
 * and inferences/s vs device count for every planner).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { initBackend } from '../../backend/index.js';
import { profileSiteLayers, scaleProfile } from '../../coop/profile-site.js';
import { networkSpecFromName, type PolicyModel } from '../../model/index.js';
import { Site } from '../../coop/site.js';
import type { SiteHead } from '../../actor/actor.js';
import {
  parseSiteInstance,
  siteModel,
  SITE_ALGORITHMS,
  solveMlsLive,
  solveSingle,
  solveSite,
  solveSls,
  type SiteAlgorithm,
  type SiteInstance,
} from '../../partition/coop/index.js';
import { calibrate, classPeak, DEVICE_CLASSES, type DeviceClass } from '../../testbed/classes.js';
import { probeHost } from '../../testbed/host.js';
import { parseBandwidth } from '../../transport/index.js';

export const isSiteAlgorithm = (a: string): a is SiteAlgorithm => (SITE_ALGORITHMS as readonly string[]).includes(a);

export function readSiteInstance(path: string): SiteInstance {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read site instance ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseSiteInstance(data, path);
}

export function isSiteFile(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { kind?: unknown }).kind === 'site';
  } catch {
    return false;
  }
}

export interface ProfileSiteOptions {
  readonly model: string;
  readonly inputShape: [number, number, number];
  readonly batch: number;
  readonly reps: number;
  /** "class:count,…", e.g. "rpi4:3,rpi3:1". */
  readonly devices: string;
  readonly link: string;
  readonly latencyMs: number;
  readonly out?: string;
}

/** Measures this host, derives each class's tables by the testbed's calibrated speed ratio, writes the instance. */
export async function profileSite(o: ProfileSiteOptions): Promise<SiteInstance> {
  await initBackend({ log: () => {}, gradients: false, threads: 1 });
  const spec = networkSpecFromName(o.model, '--model');
  const host = profileSiteLayers(spec, o.inputShape, o.batch, o.reps);
  const mhz = probeHost().mhz;
  const link = parseBandwidth(o.link);
  if (!Number.isFinite(link)) throw new Error(`--link must be a finite rate for a site (e.g. 10MB/s), got "${o.link}"`);
  const groups = o.devices.split(',').map((g) => {
    const [cls, n] = g.split(':');
    if (!DEVICE_CLASSES[cls]) throw new Error(`--devices: unknown class "${cls}"; use ${Object.keys(DEVICE_CLASSES).join(', ')}`);
    const count = Number(n ?? 1);
    if (!Number.isInteger(count) || count < 1) throw new Error(`--devices: "${g}" needs a positive count after the colon`);
    return { cls, count };
  });
  const inst = classInstance(
    spec,
    o.inputShape,
    o.batch,
    host,
    mhz,
    groups.flatMap(({ cls, count }) => Array.from({ length: count }, (_, i) => ({ id: `${cls}-${i}`, cls }))),
    link,
    o.latencyMs / 1000,
  );
  if (o.out) writeFileSync(o.out, `${JSON.stringify(inst, null, 1)}\n`);
  return inst;
}

/** A site instance from this host's measured tables, scaled to each device's class (the FLOP/s share classes.ts calibrates). */
function classInstance(
  spec: SiteInstance['network'],
  inputShape: readonly [number, number, number],
  batch: number,
  host: ReturnType<typeof profileSiteLayers>,
  mhz: number,
  devices: readonly { id: string; cls: string }[],
  link: number,
  latencySeconds: number,
  /** Set when the tables were measured under a class's CPU limit: scale from that class, not from the host. */
  measuredAs?: DeviceClass,
): SiteInstance {
  const hostSeconds = hostSecondsOf(host);
  const profiles: SiteInstance['profiles'] = {};
  for (const { cls } of devices) {
    // the FLOP/s this host reaches on these very layers, and the class's share of it (classes.ts)
    const { quota } = calibrate(DEVICE_CLASSES[cls], 1 / hostSeconds, mhz);
    const speed = measuredAs ? classPeak(DEVICE_CLASSES[cls]) / classPeak(measuredAs) : quota;
    profiles[cls] = scaleProfile(host, 1 / speed);
  }
  return parseSiteInstance({
    kind: 'site',
    network: spec,
    inputShape: [...inputShape],
    batch,
    profiles,
    devices: devices.map(({ id, cls }) => ({ id, class: cls, linkBytesPerSec: link, latencySeconds })),
  });
}

/** Seconds of one pass over every layer at full height, as profiled. */
function hostSecondsOf(host: ReturnType<typeof profileSiteLayers>): number {
  return host.reduce((s, l) => s + (l.rows?.at(-1) ?? l.dataRows?.at(-1) ?? 0), 0);
}

export async function solveSiteCommand(path: string, algorithm: string, json: boolean): Promise<void> {
  if (!isSiteAlgorithm(algorithm)) throw new Error(`--algorithm ${algorithm} does not plan sites; use one of ${SITE_ALGORITHMS.join(', ')}`);
  const inst = readSiteInstance(path);
  if (algorithm === 'lcpss-osds') await initBackend({ log: () => {}, gradients: true });
  const t0 = performance.now();
  const r = await solveSite(inst, algorithm);
  const solveMs = performance.now() - t0;
  if (json) {
    console.log(JSON.stringify({ ...r, solveMs, devices: inst.devices.map((d) => d.id) }));
    return;
  }
  console.log(`${r.algorithm}: ${inst.network}, ${inst.devices.length} devices, ${r.devicesUsed} used, solved in ${solveMs.toFixed(1)} ms`);
  for (const b of r.plan.blocks) {
    const parts = b.parts.map((p, d) => (p[1] > p[0] ? `${inst.devices[d].id} [${p[0]}, ${p[1]})` : null)).filter(Boolean);
    console.log(`  layers ${b.from}..${b.to} ${b.mode.padEnd(5)} ${parts.join('  ')}`);
  }
  console.log(`  predicted ${(r.seconds * 1e3).toFixed(3)} ms per step, ${(inst.batch / r.seconds).toFixed(1)} inferences/s`);
}

/** Predicted latency of every planner on the first n devices of the instance, n = 1..N. */
export async function simulateSiteCommand(path: string, algorithms: readonly string[], json: boolean): Promise<void> {
  const inst = readSiteInstance(path);
  for (const a of algorithms) if (!isSiteAlgorithm(a)) throw new Error(`--algorithms: "${a}" does not plan sites; use ${SITE_ALGORITHMS.join(', ')}`);
  if (algorithms.includes('lcpss-osds')) await initBackend({ log: () => {}, gradients: true });
  const rows: { devices: number; algorithm: string; seconds: number; inferencesPerSec: number; devicesUsed: number }[] = [];
  for (let n = 1; n <= inst.devices.length; n++) {
    const sub = { ...inst, devices: inst.devices.slice(0, n) };
    for (const a of algorithms as SiteAlgorithm[]) {
      const r = await solveSite(sub, a);
      rows.push({ devices: n, algorithm: a, seconds: r.seconds, inferencesPerSec: inst.batch / r.seconds, devicesUsed: r.devicesUsed });
    }
  }
  if (json) console.log(JSON.stringify({ network: inst.network, rows }));
  else
    for (const r of rows)
      console.log(
        `${String(r.devices).padStart(2)} devices  ${r.algorithm.padEnd(11)} ${(r.seconds * 1e3).toFixed(3).padStart(9)} ms  ${r.inferencesPerSec.toFixed(1).padStart(8)}/s  (${r.devicesUsed} used)`,
      );
}

const LIVE_PLANNERS = { mls: solveMlsLive, sls: solveSls, single: solveSingle } as const;

export interface SiteClassesOptions {
  readonly classes: readonly string[];
  /** mls | sls | single: the planners fast enough to re-plan live (lcpss-osds trains a DDPG agent per plan). */
  readonly plan: string;
  readonly link: string;
  readonly latencyMs: number;
  /** Listen here and wait for workers started elsewhere (the testbed) instead of spawning them. */
  readonly listen?: { readonly host: string; readonly port: number };
  /** The class this host is limited to: the profile it measures is that class's, not the bare host's. */
  readonly hostClass?: string;
}

/**
 * `actor --site-devices` (and the sites of a run's distributed.sites): a site of these device classes,
 * profiled on this host once the learner's network is known and scaled per class, planned live.
 */
export function siteHeadFromClasses(o: SiteClassesOptions, log: (m: string) => void): (model: PolicyModel) => Promise<SiteHead> {
  if (o.classes.length === 0) throw new Error('--site-devices: list at least one device class, e.g. rpi4,rpi4');
  for (const c of o.classes) if (!DEVICE_CLASSES[c]) throw new Error(`--site-devices: unknown class "${c}"; use ${Object.keys(DEVICE_CLASSES).join(', ')}`);
  if (o.hostClass !== undefined && !DEVICE_CLASSES[o.hostClass])
    throw new Error(`--site-host-class: unknown class "${o.hostClass}"; use ${Object.keys(DEVICE_CLASSES).join(', ')}`);
  if (!(o.plan in LIVE_PLANNERS)) throw new Error(`--site-plan: "${o.plan}" is not one of ${Object.keys(LIVE_PLANNERS).join(', ')}`);
  const link = parseBandwidth(o.link);
  if (!Number.isFinite(link)) throw new Error(`--site-link must be a finite rate (e.g. 2.5MB/s), got "${o.link}"`);
  return async (model) => {
    const t0 = performance.now();
    const host = profileSiteLayers(model.spec, [...model.inputShape], 1, 3);
    const devices = o.classes.map((cls, i) => ({ id: `d${i}-${cls}`, cls }));
    const measured = o.hostClass && o.hostClass !== 'host' ? DEVICE_CLASSES[o.hostClass] : undefined;
    const inst = classInstance(model.spec, model.inputShape, 1, host, probeHost().mhz, devices, link, o.latencyMs / 1000, measured);
    log(`site: ${o.classes.join(', ')} profiled in ${((performance.now() - t0) / 1000).toFixed(1)} s, planned by ${o.plan}`);
    return startSite(inst, LIVE_PLANNERS[o.plan as keyof typeof LIVE_PLANNERS], model, log, o.listen);
  };
}

function startSite(
  inst: SiteInstance,
  solve: (typeof LIVE_PLANNERS)[keyof typeof LIVE_PLANNERS],
  model: PolicyModel,
  log: (m: string) => void,
  listen?: SiteClassesOptions['listen'],
): Promise<Site> {
  return Site.start({
    ...(listen ? { host: listen.host, port: listen.port, externalWorkers: true, connectTimeoutMs: 180_000 } : {}),
    spec: model.spec,
    inputShape: model.inputShape,
    numActions: model.numActions,
    devices: inst.devices.map((d) => ({ id: d.id })),
    plan: (alive, y) => solve(siteModel({ ...inst, y, devices: inst.devices.filter((d) => alive.some((a) => a.id === d.id)) })).plan,
    log,
  });
}

/** `actor --site`: one worker process per device of the instance, re-planned by MLS for every split point and every loss. */
export function siteHeadFactory(path: string, log: (m: string) => void): (model: PolicyModel) => Promise<SiteHead> {
  const inst = readSiteInstance(path);
  return async (model) => {
    if (model.spec !== inst.network || model.inputShape.join('x') !== inst.inputShape.join('x')) {
      throw new Error(
        `--site ${path} profiles ${inst.network} on ${inst.inputShape.join('x')}, the learner trains ${model.spec} on ${model.inputShape.join('x')}`,
      );
    }
    return startSite(inst, solveMlsLive, model, log);
  };
}
