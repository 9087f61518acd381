import { LOCAL, responseTime, serverFlops, splitOptions, stepBytes } from '../cost.js';
import type { MultiInstance } from '../instance.js';

/**
 * What an actor's policy sees (MAHPPO's local state, plus what every server broadcasts): for each
 * (server, split) the log of its response time at the full share with the split's fastest codec over
 * the local time (negative = the split pays off), per server the log "pressure" of its compute budget and ingress if every actor
 * offloaded at y = 0, and log(n). A planner is trained for one (network, number of servers) shape.
 */
export const observationSize = (servers: number, K: number): number => servers * K + 2 * servers + 1;

export function observations(inst: MultiInstance): Float32Array[] {
  const opts = splitOptions(inst); // once per instance, not per actor and split
  return inst.actors.map((_, i) => observe(inst, i, inst.actors.length, opts));
}

/**
 * Actor i's observation when n actors share the servers. It needs only that actor's own profile, the
 * network and what the servers broadcast, so an actor can compute it on its device (the decentralised
 * planner: src/actor/proposal.ts) with an instance that holds itself alone.
 */
export function observationOf(inst: MultiInstance, i: number, n: number): Float32Array {
  return observe(inst, i, n, splitOptions(inst));
}

function observe(inst: MultiInstance, i: number, n: number, opts: ReturnType<typeof splitOptions>): Float32Array {
  const K = inst.layers.length;
  const S = inst.servers.length;
  // Clamped: a live learner with unlimited budgets would otherwise be far outside what training saw.
  const clamp = (x: number) => Math.max(-8, Math.min(8, x));
  const a = inst.actors[i];
  const local = responseTime(inst, a, LOCAL(inst));
  const o = new Float32Array(observationSize(S, K));
  let j = 0;
  for (let s = 0; s < S; s++)
    for (let y = 0; y < K; y++) {
      let t = Infinity;
      for (const c of opts) if (c.y === y) t = Math.min(t, responseTime(inst, a, { server: s, y, q: inst.shareLevels, codec: c.codec }));
      o[j++] = Math.log(t / local);
    }
  for (const srv of inst.servers) {
    o[j++] = clamp(Math.log((n * serverFlops(inst, 0) + 1) / (srv.computeBudget + 1)));
    o[j++] = clamp(Math.log((n * stepBytes(inst, 0)) / srv.ingressBytesPerSec));
  }
  o[j] = Math.log(n);
  return o;
}
