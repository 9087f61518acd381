import { fitsBudget } from '../cost.js';
import { PLAIN, splitStrategies, type Strategy as SplitStrategy } from '../strategies.js';
import type { MultiActorSpec, MultiInstance } from './instance.js';

/**
 * Costs of one strategy in the multi-server problem (pure). A strategy is (server, y, codec, q): split y
 * on server `server`, the feature sent as float32 or with a codec listed on layer y (as the one-learner
 * problem's (y, codec), src/partition/strategies.ts), holding q of the Q share levels; y = K (local)
 * has server −1 and q = 0. With b the codec's bytes and e, d its encoder and decoder FLOPs:
 *   T_i = (C_d(y) + e)/f_i + (C_e(y) + d)/f_s + (b + b_K) / ((q/Q)·tr_{i,s})      (the paper's Eq. 6 per server)
 *   E_i = P_compute · (C_d(y) + e)/f_i + P_transmit · (b + b_K) / rate          (MAHPPO's energy term)
 */
export interface Strategy {
  server: number;
  y: number;
  q: number;
  /** Codec id at split y; absent or 'f32': float32 (y = 0: the observation itself). */
  codec?: string;
}

export const LOCAL = (inst: MultiInstance): Strategy => ({ server: -1, y: inst.layers.length, q: 0 });

export const isLocal = (inst: MultiInstance, s: Strategy): boolean => s.y === inst.layers.length;

export const codecOf = (s: Strategy): string => s.codec ?? PLAIN;

/** Same server, split, codec and share. */
export const sameStrategy = (a: Strategy, b: Strategy): boolean => a.server === b.server && a.y === b.y && a.q === b.q && codecOf(a) === codecOf(b);

/** The network's (y, codec) options, local last, keyed "y/codec" (cached per instance: solvers call this per actor). */
const optionCache = new WeakMap<MultiInstance, { list: SplitStrategy[]; byKey: Map<string, SplitStrategy> }>();
function optionTable(inst: MultiInstance): { list: SplitStrategy[]; byKey: Map<string, SplitStrategy> } {
  let t = optionCache.get(inst);
  if (!t) {
    const list = splitStrategies(inst.inputBytes, inst.layers, inst.allowLossyCodecs ?? true);
    t = { list, byKey: new Map(list.map((o) => [`${o.y}/${o.codec}`, o])) };
    optionCache.set(inst, t);
  }
  return t;
}

/** The (y, codec) options an actor may send at, y < K, in strategy order (float32 first at each split). */
export function splitOptions(inst: MultiInstance): readonly SplitStrategy[] {
  return optionTable(inst).list.slice(0, -1);
}

function option(inst: MultiInstance, s: Strategy): SplitStrategy {
  const o = optionTable(inst).byKey.get(`${s.y}/${codecOf(s)}`);
  if (!o) {
    const offered = optionTable(inst)
      .list.filter((x) => x.y === s.y)
      .map((x) => x.codec);
    throw new RangeError(`codec "${codecOf(s)}" is not offered at split point ${s.y} (offered: ${offered.join(', ') || 'none'})`);
  }
  return o;
}

export function deviceFlops(inst: MultiInstance, y: number): number {
  let c = 0;
  for (let k = 0; k < y; k++) c += inst.layers[k].flops;
  return c;
}

export function serverFlops(inst: MultiInstance, y: number): number {
  let c = 0;
  for (let k = y; k < inst.layers.length; k++) c += inst.layers[k].flops;
  return c;
}

/** FLOPs the actor runs per step under s: its layers and the codec's encoder. */
export function deviceCost(inst: MultiInstance, s: Strategy): number {
  return deviceFlops(inst, s.y) + (isLocal(inst, s) ? 0 : option(inst, s).encoderFlops);
}

/** FLOPs s puts on its server per step: the tail and the codec's decoder (0 when local). */
export function serverCost(inst: MultiInstance, s: Strategy): number {
  return isLocal(inst, s) ? 0 : serverFlops(inst, s.y) + option(inst, s).decoderFlops;
}

/** Bytes an actor at split y < K moves per step: b_y (or the codec's size) up, b_K (the policy output) back. */
export function stepBytes(inst: MultiInstance, y: number, codec: string = PLAIN): number {
  const K = inst.layers.length;
  return option(inst, { server: 0, y, q: 1, codec }).bytes + inst.layers[K - 1].outBytes;
}

/** The rate an actor commits on its server: share q/Q of its own link (0 when local). */
export function rate(inst: MultiInstance, actor: MultiActorSpec, s: Strategy): number {
  return isLocal(inst, s) ? 0 : (s.q / inst.shareLevels) * actor.links[s.server];
}

export function checkStrategy(inst: MultiInstance, s: Strategy): void {
  const K = inst.layers.length;
  if (!Number.isInteger(s.y) || s.y < 0 || s.y > K) throw new RangeError(`split point must be an integer in 0..${K}, got ${s.y}`);
  if (s.y === K) {
    if (s.server !== -1 || s.q !== 0 || codecOf(s) !== PLAIN)
      throw new RangeError(`a local strategy (y = K = ${K}) holds no server and sends nothing: server must be -1, q 0 and no codec`);
    return;
  }
  if (!Number.isInteger(s.server) || s.server < 0 || s.server >= inst.servers.length)
    throw new RangeError(`server must be an index in 0..${inst.servers.length - 1}, got ${s.server}`);
  if (!Number.isInteger(s.q) || s.q < 1 || s.q > inst.shareLevels)
    throw new RangeError(`share level q must be an integer in 1..${inst.shareLevels}, got ${s.q}`);
  option(inst, s);
}

export function responseTime(inst: MultiInstance, actor: MultiActorSpec, s: Strategy): number {
  checkStrategy(inst, s);
  const td = deviceCost(inst, s) / actor.flops;
  if (isLocal(inst, s)) return td;
  return td + serverCost(inst, s) / inst.servers[s.server].flops + stepBytes(inst, s.y, codecOf(s)) / rate(inst, actor, s);
}

export function energy(inst: MultiInstance, actor: MultiActorSpec, s: Strategy): number {
  checkStrategy(inst, s);
  const compute = actor.computeWatts * (deviceCost(inst, s) / actor.flops);
  return isLocal(inst, s) ? compute : compute + actor.transmitWatts * (stepBytes(inst, s.y, codecOf(s)) / rate(inst, actor, s));
}

/** Every strategy of an actor: local first, then (server, (y, codec), q) in index order; float32 carries no codec field. */
export function strategies(inst: MultiInstance): Strategy[] {
  const out: Strategy[] = [LOCAL(inst)];
  const opts = splitOptions(inst);
  for (let server = 0; server < inst.servers.length; server++)
    for (const o of opts)
      for (let q = 1; q <= inst.shareLevels; q++) out.push(o.codec === PLAIN ? { server, y: o.y, q } : { server, y: o.y, q, codec: o.codec });
  return out;
}

/** What a joint assignment uses on each server: FLOPs per round (vs R_c^s) and committed bytes/s (vs B_s). */
export interface ServerLoad {
  compute: number[];
  ingress: number[];
}

export function emptyLoad(inst: MultiInstance): ServerLoad {
  return { compute: inst.servers.map(() => 0), ingress: inst.servers.map(() => 0) };
}

/** Adds (or with sign −1 removes) actor i's strategy s to the load. */
export function addLoad(inst: MultiInstance, load: ServerLoad, i: number, s: Strategy, sign: 1 | -1 = 1): void {
  if (isLocal(inst, s)) return;
  load.compute[s.server] += sign * serverCost(inst, s);
  load.ingress[s.server] += sign * rate(inst, inst.actors[i], s);
}

export function serverLoad(inst: MultiInstance, assignment: readonly Strategy[]): ServerLoad {
  const load = emptyLoad(inst);
  assignment.forEach((s, i) => addLoad(inst, load, i, s));
  return load;
}

/** Whether actor i's strategy s still fits on its server on top of `load` (local always fits). */
export function fits(inst: MultiInstance, load: ServerLoad, i: number, s: Strategy): boolean {
  if (isLocal(inst, s)) return true;
  const srv = inst.servers[s.server];
  return (
    fitsBudget(load.compute[s.server] + serverCost(inst, s), srv.computeBudget) &&
    fitsBudget(load.ingress[s.server] + rate(inst, inst.actors[i], s), srv.ingressBytesPerSec)
  );
}
