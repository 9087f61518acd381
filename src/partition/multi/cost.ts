import { fitsBudget } from '../cost.js';
import type { MultiActorSpec, MultiInstance } from './instance.js';

/**
 * Costs of one strategy in the multi-server problem (pure). A strategy is (server, y, q): split y on
 * server `server` holding q of the Q share levels; y = K (local) has server −1 and q = 0.
 *   T_i = C_d(y)/f_i + C_e(y)/f_s + (b_y + b_K) / ((q/Q)·tr_{i,s})               (the paper's Eq. 6 per server)
 *   E_i = P_compute · C_d(y)/f_i + P_transmit · (b_y + b_K) / rate              (MAHPPO's energy term)
 */
export interface Strategy {
  server: number;
  y: number;
  q: number;
}

export const LOCAL = (inst: MultiInstance): Strategy => ({ server: -1, y: inst.layers.length, q: 0 });

export const isLocal = (inst: MultiInstance, s: Strategy): boolean => s.y === inst.layers.length;

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

/** Bytes an actor at split y < K moves per step: b_y up, b_K (the policy output) back. */
export function stepBytes(inst: MultiInstance, y: number): number {
  const K = inst.layers.length;
  return (y === 0 ? inst.inputBytes : inst.layers[y - 1].outBytes) + inst.layers[K - 1].outBytes;
}

/** The rate an actor commits on its server: share q/Q of its own link (0 when local). */
export function rate(inst: MultiInstance, actor: MultiActorSpec, s: Strategy): number {
  return isLocal(inst, s) ? 0 : (s.q / inst.shareLevels) * actor.links[s.server];
}

export function checkStrategy(inst: MultiInstance, s: Strategy): void {
  const K = inst.layers.length;
  if (!Number.isInteger(s.y) || s.y < 0 || s.y > K) throw new RangeError(`split point must be an integer in 0..${K}, got ${s.y}`);
  if (s.y === K) {
    if (s.server !== -1 || s.q !== 0) throw new RangeError(`a local strategy (y = K = ${K}) holds no server: server must be -1 and q 0`);
    return;
  }
  if (!Number.isInteger(s.server) || s.server < 0 || s.server >= inst.servers.length)
    throw new RangeError(`server must be an index in 0..${inst.servers.length - 1}, got ${s.server}`);
  if (!Number.isInteger(s.q) || s.q < 1 || s.q > inst.shareLevels)
    throw new RangeError(`share level q must be an integer in 1..${inst.shareLevels}, got ${s.q}`);
}

export function responseTime(inst: MultiInstance, actor: MultiActorSpec, s: Strategy): number {
  checkStrategy(inst, s);
  const td = deviceFlops(inst, s.y) / actor.flops;
  if (isLocal(inst, s)) return td;
  return td + serverFlops(inst, s.y) / inst.servers[s.server].flops + stepBytes(inst, s.y) / rate(inst, actor, s);
}

export function energy(inst: MultiInstance, actor: MultiActorSpec, s: Strategy): number {
  checkStrategy(inst, s);
  const compute = actor.computeWatts * (deviceFlops(inst, s.y) / actor.flops);
  return isLocal(inst, s) ? compute : compute + actor.transmitWatts * (stepBytes(inst, s.y) / rate(inst, actor, s));
}

/** Every strategy of an actor: local first, then (server, y < K, q) in index order. */
export function strategies(inst: MultiInstance): Strategy[] {
  const out: Strategy[] = [LOCAL(inst)];
  for (let server = 0; server < inst.servers.length; server++)
    for (let y = 0; y < inst.layers.length; y++) for (let q = 1; q <= inst.shareLevels; q++) out.push({ server, y, q });
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
  load.compute[s.server] += sign * serverFlops(inst, s.y);
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
    fitsBudget(load.compute[s.server] + serverFlops(inst, s.y), srv.computeBudget) &&
    fitsBudget(load.ingress[s.server] + rate(inst, inst.actors[i], s), srv.ingressBytesPerSec)
  );
}
