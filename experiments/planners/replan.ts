/**
 * Re-planning after a join or leave (issue 21, item 5), on the simulator: for one instance and each
 * planner's own plan of it, each event (an actor leaves, an actor joins, the last server leaves, it joins again) is
 * re-solved by every planner, and we record the solve time, how many of the actors already present
 * the new plan moves to another server, and the time until every moved actor's steps arrive at its new
 * place: solve + max over moved actors of (T_old + T_new) — the step in flight finishes at the old
 * place, then the first step at the new one (ServerPool's move protocol; transfers of the move
 * messages themselves are not modelled). Pure bookkeeping around the solvers.
 */
import { LOCAL, responseTime, type MultiInstance, type Strategy } from '../../src/partition/multi/index.js';

export interface ReplanRow {
  servers: number;
  actors: number;
  planner: string;
  event: 'actor leave' | 'actor join' | 'server leave' | 'server join';
  solveMs: number;
  /** Actors present before and after whose server changed. */
  moved: number;
  /** solveMs + the slowest moved actor's (T_old + T_new), in ms. */
  settleMs: number;
}

/** A planner as the study runs it: the new instance, and the previous plan mapped onto it (DEFP warm-starts from it). */
export type Replanner = (inst: MultiInstance, start: Strategy[]) => Strategy[] | Promise<Strategy[]>;

interface Event {
  event: ReplanRow['event'];
  before: MultiInstance;
  after: MultiInstance;
  /** Previous plan on `after`'s actors and servers (new actors local); for moves and warm starts. */
  start: Strategy[];
  /** Index in `after` of every actor also in `before`, with its index there. */
  kept: [after: number, before: number][];
  previous: Strategy[];
}

/** The four events around `inst` and its plan `plan`. Server events need at least two servers. */
export function replanEvents(inst: MultiInstance, plan: readonly Strategy[]): Event[] {
  const n = inst.actors.length;
  const S = inst.servers.length;
  const events: Event[] = [];
  const left = { ...inst, actors: inst.actors.slice(1) };
  events.push({ event: 'actor leave', before: inst, after: left, start: plan.slice(1), kept: left.actors.map((_, i) => [i, i + 1]), previous: [...plan] });
  const joined = { ...inst, actors: [...inst.actors, { ...inst.actors[0], id: `${String(inst.actors[0].id)}'` }] };
  events.push({ event: 'actor join', before: inst, after: joined, start: [...plan, LOCAL(inst)], kept: plan.map((_, i) => [i, i]), previous: [...plan] });
  if (S >= 2) {
    // Without the last server: its actors start from local, every link list loses its last rate.
    const fewer: MultiInstance = { ...inst, servers: inst.servers.slice(0, -1), actors: inst.actors.map((a) => ({ ...a, links: a.links.slice(0, -1) })) };
    const onFewer = plan.map((s) => (s.server === S - 1 ? LOCAL(inst) : s));
    const all = (k: number) => Array.from({ length: k }, (_, i): [number, number] => [i, i]);
    events.push({ event: 'server leave', before: inst, after: fewer, start: onFewer, kept: all(n), previous: [...plan] });
    events.push({ event: 'server join', before: fewer, after: inst, start: onFewer, kept: all(n), previous: onFewer });
  }
  return events;
}

/**
 * Runs every planner on every event, each from its own plan of `inst` (so "moved" is that planner's own
 * churn); `skip` leaves out events a planner cannot take (e.g. a policy trained for S servers).
 */
export async function measureReplans(
  inst: MultiInstance,
  planners: Record<string, { plan: readonly Strategy[]; solve: Replanner; skip?: (e: ReplanRow['event']) => boolean }>,
): Promise<ReplanRow[]> {
  const rows: ReplanRow[] = [];
  for (const [name, p] of Object.entries(planners)) {
    for (const ev of replanEvents(inst, p.plan)) {
      if (p.skip?.(ev.event)) continue;
      const t0 = performance.now();
      const next = await p.solve(
        ev.after,
        ev.start.map((s) => ({ ...s })),
      );
      const solveMs = performance.now() - t0;
      let moved = 0;
      let slowest = 0;
      for (const [ia, ib] of ev.kept) {
        const old = ev.previous[ib];
        const cur = next[ia];
        if (old.server === cur.server) continue;
        moved++;
        slowest = Math.max(slowest, responseTime(ev.before, ev.before.actors[ib], old) + responseTime(ev.after, ev.after.actors[ia], cur));
      }
      rows.push({
        servers: inst.servers.length,
        actors: inst.actors.length,
        planner: name,
        event: ev.event,
        solveMs,
        moved,
        settleMs: solveMs + slowest * 1000,
      });
    }
  }
  return rows;
}
