import { actorCosts, bestResponse, resourceTable, BUDGET_RTOL, type ActorCosts, type ResourceTable } from './cost.js';
import type { ActorId, ActorSpec, PartitionInstance, PartitionSystem } from './instance.js';
import { PLAIN } from './strategies.js';

/**
 * DEFP, the paper's Algorithm 1 (dynamic efficient fairness partition), incremental and decremental.
 *
 * Our reading of Algorithm 1 (the printed pseudo-code lost lines; see docs/partition.md):
 * - Work with the improvement g_i(y) = T_i(K) − T_i(y) = −u_i(y) and maximise it.
 * - join(N): N first takes its best response (Eq. 25) in the unallocated budget, otherwise the first
 *   actor could never leave y = K. Then for each present player i in arrival order, the pair (i, N)
 *   pools what both hold plus the unallocated remainder; for every strategy s_N that fits the pool,
 *   i's best response s_i* in what is left gives a candidate pair; the pair with the largest
 *   g_i + g_N is committed (lines 2–14). The current pair is always a candidate, so a pairing never
 *   lowers the potential Φ = Σ g (Theorem 2). Ties within 1e-12 relative go to the pair whose split
 *   points more actors already use (the paper wants one shared split so hybrid models agree), then to
 *   the current pair (no churn). O(K²) per pair, O(K²N) per arrival.
 * - leave(i): its resources return to the pool and one present player re-runs the procedure: the one
 *   whose best response in the freed pool gains most.
 * - One sweep of pairings can stop far from the optimum, so after an event (and at the end of the
 *   offline solve) improvement passes pair every unordered pair once more, until a pass changes
 *   nothing (a potential game converges in finitely many improvements), raises Σ g by less than
 *   `minPassGain`, or the pass cap is reached. A converged state is a pairwise local optimum: moves
 *   that need three or more actors to change at once are out of reach (see docs/partition.md).
 */

export interface DefpOptions {
  /** Improvement passes after each join/leave (0 = only the paper's single sweep). Default 10. */
  passesPerEvent?: number;
  /**
   * Passes stop once one raises the total latency reduction by less than this fraction (default 1e-4,
   * i.e. 0.01%); later passes then only shuffle ties and crumbs.
   */
  minPassGain?: number;
}

/** One actor whose split point or codec changed; `from`/`to` are null when it joined/left. */
export interface AssignmentChange {
  id: ActorId;
  from: number | null;
  to: number | null;
  /** Codec of the new strategy, present only when it is not plain float32. */
  toCodec?: string;
}

interface Player {
  id: ActorId;
  costs: ActorCosts;
  /** Strategy index (see strategies.ts): split point and codec. */
  y: number;
  /** Least compute / bandwidth any split other than K needs (Infinity when only K is useful). */
  minCompute: number;
  minBandwidth: number;
}

const TIE_RTOL = 1e-12;

export class DefpPartitioner {
  private readonly sys: PartitionSystem;
  private readonly res: ResourceTable;
  /** Index of the local strategy (y = K); equal to K when the system has no codecs. */
  private readonly K: number;
  private readonly passesPerEvent: number;
  private players: Player[] = [];
  private readonly byId = new Map<string, Player>();
  /** Number of present players at each split point (for the shared-split tie-break). */
  private readonly counts: Int32Array;
  private usedCompute = 0;
  private usedBandwidth = 0;
  /** Budgets plus the shared tolerance (see BUDGET_RTOL): the most that may be held. */
  private readonly capCompute: number;
  private readonly capBandwidth: number;
  private readonly minPassGain: number;
  /** Pairings evaluated so far (for complexity measurements). */
  pairEvaluations = 0;

  constructor(system: PartitionSystem, options: DefpOptions = {}) {
    this.sys = system;
    this.res = resourceTable(system);
    this.K = this.res.local;
    this.passesPerEvent = options.passesPerEvent ?? 10;
    if (!Number.isInteger(this.passesPerEvent) || this.passesPerEvent < 0) {
      throw new RangeError(`passesPerEvent must be an integer >= 0, got ${options.passesPerEvent}`);
    }
    this.counts = new Int32Array(this.K + 1);
    const e = system.edge;
    this.capCompute = e.computeBudget + BUDGET_RTOL * Math.max(1, e.computeBudget);
    this.capBandwidth = e.bandwidthBudget + BUDGET_RTOL * Math.max(1, e.bandwidthBudget);
    this.minPassGain = options.minPassGain ?? 1e-4;
  }

  /** Current split point of every present actor, in arrival order. */
  assignment(): Map<ActorId, number> {
    return new Map(this.players.map((p) => [p.id, this.res.strategies[p.y].y]));
  }

  splitOf(id: ActorId): number | undefined {
    const p = this.byId.get(String(id));
    return p && this.res.strategies[p.y].y;
  }

  /** Codec of an actor's strategy ('f32' = none). */
  codecOf(id: ActorId): string | undefined {
    const p = this.byId.get(String(id));
    return p && this.res.strategies[p.y].codec;
  }

  /** Strategy index of an actor (index into `resourceTable(system).strategies`). */
  strategyOf(id: ActorId): number | undefined {
    return this.byId.get(String(id))?.y;
  }

  get size(): number {
    return this.players.length;
  }

  /** Learner compute and bandwidth currently held by actors. */
  usage(): { compute: number; bandwidth: number } {
    return { compute: this.usedCompute, bandwidth: this.usedBandwidth };
  }

  /** Potential Φ = Σ g_i(y_i): the total latency reduction (seconds). */
  latencyReduction(): number {
    let s = 0;
    for (const p of this.players) s += p.costs.gain[p.y];
    return s;
  }

  /** An actor arrives: Algorithm 1, then improvement passes. Returns every actor whose split changed. */
  join(actor: ActorSpec): AssignmentChange[] {
    const before = this.snapshot();
    this.admit(actor);
    this.improve(this.passesPerEvent);
    return this.diff(before);
  }

  /** Algorithm 1 for a newcomer, without change tracking (the offline solve calls this N times). */
  admit(actor: ActorSpec): void {
    const key = String(actor.id);
    if (this.byId.has(key)) throw new Error(`actor "${key}" has already joined; call leave("${key}") first`);
    const costs = actorCosts(this.sys, this.res, actor);
    let minCompute = Infinity;
    let minBandwidth = Infinity;
    for (const y of costs.options) {
      if (y === this.K) continue;
      minCompute = Math.min(minCompute, this.res.compute[y]);
      minBandwidth = Math.min(minBandwidth, this.res.bandwidth[y]);
    }
    const p: Player = { id: actor.id, costs, y: this.K, minCompute, minBandwidth };
    this.players.push(p);
    this.byId.set(key, p);
    this.counts[this.K]++;
    this.runPlayer(p);
  }

  /** An actor leaves: its resources return and one player re-runs Algorithm 1. Returns the changes. */
  leave(id: ActorId): AssignmentChange[] {
    const key = String(id);
    const p = this.byId.get(key);
    if (!p) throw new Error(`actor "${key}" is not present; present actors: ${this.players.map((q) => String(q.id)).join(', ') || '(none)'}`);
    const before = this.snapshot();
    this.setSplit(p, this.K);
    this.counts[this.K]--;
    this.players = this.players.filter((q) => q !== p);
    this.byId.delete(key);
    // The player that gains most from the freed pool re-runs the procedure.
    let chosen: Player | undefined;
    let bestGain = 0;
    for (const q of this.players) {
      const br = this.bestResponseWithOwn(q);
      const gain = q.costs.gain[br] - q.costs.gain[q.y];
      if (chosen === undefined || gain > bestGain) {
        chosen = q;
        bestGain = gain;
      }
    }
    if (chosen) this.runPlayer(chosen);
    this.improve(this.passesPerEvent);
    const changes = this.diff(before);
    changes.push({ id: p.id, from: this.res.strategies[before.get(key)!].y, to: null });
    return changes;
  }

  /**
   * Improvement passes: every player in turn pairs with every other one (the pairing of Algorithm 1),
   * until a pass changes nothing or `maxPasses` passes ran. Returns the changes; `lastPasses` says how many ran.
   */
  improve(maxPasses: number): AssignmentChange[] {
    const snapshot = this.snapshot();
    this.lastPasses = 0;
    for (let pass = 0; pass < maxPasses; pass++) {
      this.lastPasses++;
      // Each unordered pair once per pass: the pairing is exact for the pair, so (i, j) and (j, i) agree.
      // Order: players that would turn resources into latency most efficiently pair first with the
      // players whose holdings earn least, so resources flow where they pay within one pass.
      let changed = false;
      const before = this.latencyReduction();
      const ps = this.passOrder();
      for (let a = 0; a < ps.length; a++) for (let b = ps.length - 1; b > a; b--) if (this.pairImprove(ps[b], ps[a])) changed = true;
      if (!changed || this.latencyReduction() - before < this.minPassGain * Math.abs(before)) break;
    }
    return this.diff(snapshot);
  }

  /**
   * Players sorted by the latency per unit of (budget-normalised) resource they would gain by moving
   * to their unconstrained best split, highest first; players at their best (nothing to gain) last,
   * ordered by how little their holdings earn per unit.
   */
  private passOrder(): Player[] {
    const e = this.sys.edge;
    const rc = this.res.compute;
    const rb = this.res.bandwidth;
    const norm = (y: number) => rc[y] / Math.max(e.computeBudget, 1e-300) + rb[y] / Math.max(e.bandwidthBudget, 1e-300);
    const wants = new Map<Player, boolean>();
    const key = new Map<Player, number>();
    for (const p of this.players) {
      const best = p.costs.options[0];
      const dg = p.costs.gain[best] - p.costs.gain[p.y];
      wants.set(p, dg > 0);
      key.set(p, dg > 0 ? dg / Math.max(norm(best) - norm(p.y), 1e-12) : -p.costs.gain[p.y] / Math.max(norm(p.y), 1e-12));
    }
    return this.players.slice().sort((a, b) => Number(wants.get(b)) - Number(wants.get(a)) || key.get(b)! - key.get(a)!);
  }

  /** Passes the last improve() call ran. */
  lastPasses = 0;

  // --- the procedure -------------------------------------------------------------------------

  /** Lines 1–15 for player n: best response in the free pool, then pair with every present player. */
  private runPlayer(n: Player): boolean {
    let changed = this.setSplit(n, this.bestResponseWithOwn(n));
    if (this.sweep(n)) changed = true;
    return changed;
  }

  private sweep(n: Player): boolean {
    let changed = false;
    for (const i of this.players) if (i !== n && this.pairImprove(i, n)) changed = true;
    return changed;
  }

  private bestResponseWithOwn(p: Player): number {
    const e = this.sys.edge;
    return bestResponse(
      p.costs,
      this.res,
      e.computeBudget - this.usedCompute + this.res.compute[p.y],
      e.bandwidthBudget - this.usedBandwidth + this.res.bandwidth[p.y],
      e.computeBudget,
      e.bandwidthBudget,
    );
  }

  /** Pareto improvement of the pair (i, n) within what the two hold plus the unallocated pool. */
  private pairImprove(i: Player, n: Player): boolean {
    const gi = i.costs.gain;
    const gn = n.costs.gain;
    const oi = i.costs.options;
    const on = n.costs.options;
    // Both already at their unconstrained best: nothing to gain.
    if (i.y === oi[0] && n.y === on[0]) return false;
    const rc = this.res.compute;
    const rb = this.res.bandwidth;
    const poolC = this.capCompute - this.usedCompute + rc[i.y] + rc[n.y];
    const poolB = this.capBandwidth - this.usedBandwidth + rb[i.y] + rb[n.y];
    // Two local players and a pool too small for either to start splitting: nothing to try. (Most
    // pairs of a converged, contended state are like this, so this check carries the pass cost.)
    const K = this.K;
    if (i.y === K && n.y === K && (poolC < i.minCompute || poolB < i.minBandwidth) && (poolC < n.minCompute || poolB < n.minBandwidth)) return false;
    this.pairEvaluations++;
    // Popularity of a pair (a, b): how many other actors use a or b, +1 when a = b. On ties in gain the
    // more popular pair wins; this is an exact potential (Σ counts²/2), so ties cannot cycle.
    const counts = this.counts;
    counts[i.y]--;
    counts[n.y]--;
    let bestI = i.y;
    let bestN = n.y;
    let best = gi[i.y] + gn[n.y];
    let bestPop = counts[i.y] + counts[n.y] + (i.y === n.y ? 1 : 0);
    const maxGi = gi[oi[0]];
    for (let a = 0; a < on.length; a++) {
      const sn = on[a];
      const valN = gn[sn];
      // Options are sorted by gain: once even i's best cannot reach the incumbent, stop.
      if (valN + maxGi < best - TIE_RTOL * Math.abs(best)) break;
      const leftC = poolC - rc[sn];
      const leftB = poolB - rb[sn];
      if (leftC < 0 || leftB < 0) continue;
      let si = this.K;
      for (let b = 0; b < oi.length; b++) {
        const y = oi[b];
        if (rc[y] <= leftC && rb[y] <= leftB) {
          si = y;
          break;
        }
      }
      const v = valN + gi[si];
      const tol = TIE_RTOL * Math.max(Math.abs(best), Math.abs(v));
      if (v > best + tol) {
        best = v;
        bestI = si;
        bestN = sn;
        bestPop = counts[si] + counts[sn] + (si === sn ? 1 : 0);
      } else if (v >= best - tol) {
        const pp = counts[si] + counts[sn] + (si === sn ? 1 : 0);
        if (pp > bestPop) {
          best = Math.max(best, v);
          bestI = si;
          bestN = sn;
          bestPop = pp;
        }
      }
    }
    counts[i.y]++;
    counts[n.y]++;
    if (bestI === i.y && bestN === n.y) return false;
    // Release both first so the intermediate state never double-counts.
    this.setSplit(i, this.K);
    this.setSplit(n, this.K);
    this.setSplit(i, bestI);
    this.setSplit(n, bestN);
    return true;
  }

  private setSplit(p: Player, y: number): boolean {
    if (p.y === y) return false;
    this.usedCompute += this.res.compute[y] - this.res.compute[p.y];
    this.usedBandwidth += this.res.bandwidth[y] - this.res.bandwidth[p.y];
    this.counts[p.y]--;
    this.counts[y]++;
    p.y = y;
    // Re-sum when everything is released so float drift cannot accumulate over a long run.
    if (this.counts[this.K] === this.players.length) {
      this.usedCompute = 0;
      this.usedBandwidth = 0;
    }
    return true;
  }

  private snapshot(): Map<string, number> {
    return new Map(this.players.map((p) => [String(p.id), p.y]));
  }

  private diff(before: Map<string, number>): AssignmentChange[] {
    const out: AssignmentChange[] = [];
    const st = this.res.strategies;
    for (const p of this.players) {
      const was = before.get(String(p.id));
      const to = st[p.y];
      const codec = to.codec === PLAIN ? {} : { toCodec: to.codec };
      if (was === undefined) out.push({ id: p.id, from: null, to: to.y, ...codec });
      else if (was !== p.y) out.push({ id: p.id, from: st[was].y, to: to.y, ...codec });
    }
    return out;
  }
}

export interface DefpSolveOptions {
  /** Improvement passes after all actors joined (0 = the paper's single sweep per arrival). Default 10. */
  maxPasses?: number;
  /** See DefpOptions.minPassGain. */
  minPassGain?: number;
}

/**
 * Offline DEFP: actors join in instance order (one sweep each), then improvement passes. `assignment`
 * holds strategy indices (= split points when the instance has no codecs).
 */
export function solveDefp(inst: PartitionInstance, options: DefpSolveOptions = {}): { assignment: number[]; passes: number; pairEvaluations: number } {
  const d = new DefpPartitioner(inst, { passesPerEvent: 0, minPassGain: options.minPassGain });
  for (const a of inst.actors) d.admit(a);
  d.improve(options.maxPasses ?? 10);
  return { assignment: inst.actors.map((a) => d.strategyOf(a.id)!), passes: d.lastPasses, pairEvaluations: d.pairEvaluations };
}
