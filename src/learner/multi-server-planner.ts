import type { RunConfig } from '../config/schema.js';
import type { PolicyModel } from '../model/index.js';
import type { Highs } from '../partition/milp.js';
import { plannedCodec, plannerLayers } from './planner-layers.js';
import type { SplitCodecs } from './split-codecs.js';
import {
  evaluateMulti,
  LOCAL,
  parseMultiInstance,
  shieldActions,
  solveMultiDefp,
  solveMultiGreedy,
  solveMultiMilpWith,
  type MultiInstance,
  type ServerSpec,
  type Strategy,
} from '../partition/multi/index.js';
import { askAsActor, checkpointMismatch, planFromCheckpoint, type PlannerCheckpoint } from '../partition/multi/mahppo/checkpoint.js';
import { type DeviceProfile, type Hello, parseDeviceProfile, ProtocolError } from '../transport/index.js';
import { checkedRequest, policyWeights } from './proposals.js';
import type { LearnerMetrics } from '../metrics/learner-metrics.js';
import type { PlanChange, PlanDescription, PlanningContext, SplitPlanner } from './planner-types.js';
import type { LearnerSink } from './sink.js';

const UNLIMITED = 1e18;
/** The learner's own place in the multi-server instance (index 0); a route of null in ServerPool. */
export const LEARNER_SERVER = 'learner';

/** One re-plan: what triggered it, how long the pure solve took, what it changed. */
export interface Replan {
  readonly reason: string;
  /** The solver that made this plan (solver mahppo with no policy for the server count: 'defp', see fallback). */
  readonly solver: string;
  /** Why the configured solver did not plan (mahppo without a policy for this many servers). */
  readonly fallback?: string;
  readonly solveMs: number;
  readonly actors: number;
  readonly servers: number;
  /** Actors whose server changed (including to or from the learner). */
  readonly moves: number;
  /** Actors already present whose split point (or codec) changed. */
  readonly splitChanges: number;
  readonly latencyReduction: number;
}

/** solver shielded-marl: an actor's standing request, by server id (null: local), and whether the actor sent it. */
interface Request {
  readonly serverId: string | null;
  readonly y: number;
  readonly q: number;
  readonly codec?: string;
  readonly own: boolean;
}

interface Placed {
  readonly server: string;
  readonly y: number;
  readonly q: number;
  /** '' = float32 (or nothing sent, at y = K). */
  readonly codec: string;
}

/**
 * distributed.serverAssign 'plan': a thin adapter between the learner and the pure multi-server
 * solvers of src/partition/multi. It keeps what the learner knows — each actor's reported profile
 * (FLOP/s, link), the connected `coknight serve` servers with their declared FLOP/s and budgets
 * (partition.multi.servers), the learner itself as server 0 — and on every actor or server join and
 * leave re-solves the whole instance with the configured solver. With the run's feature codecs a strategy
 * is (server, split, codec, share) (plannerLayers). DEFP starts from the previous plan
 * (incremental, like the single-server Algorithm 1: few moves); greedy and MILP solve afresh; mahppo
 * runs the trained policy for the current server count behind the shields (SROLE-style: each server
 * substitutes safe actions for colliding requests), DEFP where no policy was trained for that count;
 * shielded-marl leaves the decision to the actors: each runs the policy for the servers connected when it
 * registers (the Contract reply carries it) and asks, and every re-plan shields the standing requests —
 * the learner asks on an actor's behalf only when it sent none or the server it asked for left. The
 * learner applies the result: split changes through Membership, server moves through ServerPool.
 */
export class MultiServerPlanner implements SplitPlanner {
  private readonly actors = new Map<string, { flops: number; link: number }>();
  private readonly requests = new Map<string, Request>();
  private substituted = 0;
  private readonly servers = new Map<string, ServerSpec>();
  private placed = new Map<string, Placed>();
  private latencyReduction = 0;
  private readonly learner: ServerSpec;
  private readonly opts: RunConfig['partition']['multi'];
  private readonly defaultFlops: number;
  private readonly defaultServerFlops: number;
  private readonly layers: MultiInstance['layers'];
  private readonly inputBytes: number;
  /** Re-plans so far, and the last one. */
  replans = 0;
  last: Replan | undefined;
  /** Called after every re-plan (the learner logs it and records its metrics). */
  onReplan: ((r: Replan) => void) | undefined;

  constructor(
    model: PolicyModel,
    config: RunConfig,
    edgeFlops: number,
    private readonly highs?: Highs,
    codecs?: SplitCodecs,
    policies: readonly PlannerCheckpoint[] = [],
  ) {
    const p = config.partition;
    this.opts = p.multi;
    if (this.opts.solver === 'milp' && !highs) throw new Error('partition.multi.solver milp: HiGHS must be loaded before the planner is built');
    this.defaultFlops = p.defaultActorFlops;
    this.defaultServerFlops = p.edgeFlops ?? edgeFlops;
    this.learner = {
      id: LEARNER_SERVER,
      flops: this.defaultServerFlops,
      computeBudget: p.computeBudget ?? UNLIMITED,
      ingressBytesPerSec: p.ingressBytesPerSec ?? UNLIMITED,
    };
    if (this.opts.servers[LEARNER_SERVER])
      throw new Error(
        `partition.multi.servers.${LEARNER_SERVER}: that id is the learner itself; set its budgets in partition.edgeFlops/computeBudget/ingressBytesPerSec`,
      );
    this.inputBytes = model.inputBytes;
    this.layers = plannerLayers(model, codecs);
    this.allowLossy = config.distributed.allowLossyCodecs;
    if ((this.opts.solver === 'mahppo' || this.opts.solver === 'shielded-marl') && policies.length === 0)
      throw new Error(
        `partition.multi.solver ${this.opts.solver}: the planner files (partition.multi.plannerCheckpoints) must be loaded before the planner is built`,
      );
    this.policies = this.checkedPolicies(model, policies);
    this.coverage = [...this.policies.keys()].sort((a, b) => a - b).join(', ');
  }

  private readonly allowLossy: boolean;
  private get decentralised(): boolean {
    return this.opts.solver === 'shielded-marl';
  }
  /** solver mahppo: the trained policy per server count (the learner included). */
  private readonly policies: ReadonlyMap<number, PlannerCheckpoint>;
  /** The server counts those policies cover, for logs ("1, 2"). */
  private readonly coverage: string;

  /** Every file must fit this run (network, codecs, share levels), and no two may claim one server count. */
  private checkedPolicies(model: PolicyModel, policies: readonly PlannerCheckpoint[]): ReadonlyMap<number, PlannerCheckpoint> {
    const byCount = new Map<number, PlannerCheckpoint>();
    policies.forEach((c, i) => {
      const where = `partition.multi.plannerCheckpoints[${i}]`;
      if (byCount.has(c.servers)) throw new Error(`${where}: a second planner for ${c.servers} server(s); keep one file per server count`);
      if (c.shareLevels !== this.opts.shareLevels)
        throw new Error(
          `${where}: trained with ${c.shareLevels} share levels, partition.multi.shareLevels is ${this.opts.shareLevels}; retrain with --share-levels ${this.opts.shareLevels} or set shareLevels to ${c.shareLevels}`,
        );
      const probe = parseMultiInstance({
        inputBytes: this.inputBytes,
        layers: this.layers,
        servers: Array.from({ length: c.servers }, (_, s) => ({ ...this.learner, id: `probe${s}` })),
        shareLevels: this.opts.shareLevels,
        allowLossyCodecs: this.allowLossy,
        actors: [],
      });
      const why = checkpointMismatch(c, probe);
      if (why) throw new Error(`${where} does not fit this run: ${why}; train one for the ${model.spec} network with --servers ${c.servers}`);
      byCount.set(c.servers, c);
    });
    return byCount;
  }

  /** Where an actor's steps are served under the current plan (null: the learner, or locally at y = K). */
  serverOf(actorId: string): string | null {
    const p = this.placed.get(actorId);
    return !p || p.server === LEARNER_SERVER || p.y === this.layers.length ? null : p.server;
  }

  join(actorId: string, hello: Hello): { splitPoint: number; codec: string; changes: PlanChange[] } {
    const prof = parseDeviceProfile(hello.profile);
    const request = this.decentralised && prof.proposal ? this.request(prof) : undefined;
    this.actors.set(actorId, { flops: prof.flops ?? this.defaultFlops, link: prof.linkBytesPerSec ?? UNLIMITED });
    if (request) this.requests.set(actorId, request);
    else this.requests.delete(actorId);
    this.placed.delete(actorId); // a (re-)joining actor starts from local
    const changes = this.replan(`actor ${actorId} joined`);
    const p = this.placed.get(actorId)!;
    return { splitPoint: p.y, codec: p.codec, changes };
  }

  leave(actorId: string): PlanChange[] {
    if (!this.actors.delete(actorId)) return [];
    this.placed.delete(actorId);
    this.requests.delete(actorId);
    return this.replan(`actor ${actorId} left`);
  }

  /** solver shielded-marl: what the Contract reply carries (none while no policy covers the servers connected now). */
  planningContext(): PlanningContext | undefined {
    if (!this.decentralised) return undefined;
    const instance = this.contextBase([...this.servers.keys()].sort());
    const policy = this.policies.get(instance.servers.length);
    if (!policy) return undefined;
    return { planner: 'shielded-marl', checkpoint: { ...policy, weights: policyWeights(policy.weights) }, instance, actors: this.actors.size };
  }

  /**
   * The instance a proposing actor sees, without actors: the budgets as declared (an undeclared ingress
   * unlimited, as the single-server planner sends it; the solvers' stand-in depends on the actors' links).
   */
  private contextBase(serverIds: readonly string[]): Omit<MultiInstance, 'actors'> {
    return {
      inputBytes: this.inputBytes,
      layers: this.layers,
      servers: [this.learner, ...serverIds.map((id) => this.servers.get(id)!)],
      shareLevels: this.opts.shareLevels,
      allowLossyCodecs: this.allowLossy,
    };
  }

  /** Before anything is allocated for a Hello: its request must name a connected server and be a strategy of the plan. */
  check(_actorId: string, hello: Hello): void {
    if (!this.decentralised) return;
    const prof = parseDeviceProfile(hello.profile);
    if (prof.proposal) this.request(prof);
  }

  /** An actor's own request, checked against the plan as it stands (the actor alone, the servers connected now). */
  private request(prof: DeviceProfile): Request {
    const p = prof.proposal!;
    const serverIds = [...this.servers.keys()].sort();
    const names = [LEARNER_SERVER, ...serverIds];
    const server = p.server < 0 ? -1 : p.serverId !== undefined ? names.indexOf(p.serverId) : p.server;
    if (server === -1 && p.server >= 0)
      throw new ProtocolError(
        'BAD_FIELD',
        `Hello.profile.proposal.serverId "${p.serverId}" is not a server of this learner's plan (connected: ${names.join(', ')}): propose from a fresh Contract reply`,
      );
    const self = { flops: prof.flops ?? this.defaultFlops, link: prof.linkBytesPerSec ?? UNLIMITED };
    const s = checkedRequest(
      this.instance(['self'], serverIds, () => self),
      p,
      server,
    );
    return { serverId: s.server < 0 ? null : names[s.server], y: s.y, q: s.q, ...(s.codec ? { codec: s.codec } : {}), own: true };
  }

  serverJoined(serverId: string): PlanChange[] {
    const d = this.opts.servers[serverId] ?? {};
    this.servers.set(serverId, {
      id: serverId,
      flops: d.flops ?? this.defaultServerFlops,
      computeBudget: d.computeBudget ?? UNLIMITED,
      ingressBytesPerSec: d.ingressBytesPerSec ?? UNLIMITED,
    });
    return this.replan(`inference server ${serverId} joined`);
  }

  serverLeft(serverId: string): PlanChange[] {
    if (!this.servers.delete(serverId)) return [];
    return this.replan(`inference server ${serverId} left`);
  }

  describe(): PlanDescription {
    return {
      planner:
        this.opts.solver === 'mahppo'
          ? `multi-server mahppo (shielded; policies for ${this.coverage} server(s), DEFP otherwise)`
          : this.decentralised
            ? `multi-server shielded marl (decentralised: ${[...this.requests.values()].filter((r) => r.own).length} of ${this.actors.size} requests from the actors, ` +
              `${this.substituted} substituted by the shields; policies for ${this.coverage} server(s), DEFP otherwise)`
            : `multi-server ${this.opts.solver}`,
      assignment: Object.fromEntries([...this.placed].map(([id, p]) => [id, p.y])),
      latencyReduction: this.latencyReduction,
    };
  }

  /** The current plan: server, split point and codec ('' = float32) per actor (for logs, tests and summary). */
  placements(): Record<string, { server: string | null; splitPoint: number; codec: string }> {
    return Object.fromEntries([...this.placed].map(([id, p]) => [id, { server: this.serverOf(id), splitPoint: p.y, codec: p.codec }]));
  }

  private instance(ids: readonly string[], serverIds: readonly string[], actorOf = (id: string) => this.actors.get(id)!): MultiInstance {
    // An undeclared ingress must never bind: more than every actor's link at full share (an unlimited
    // link is 1e18 B/s, so a fixed "unlimited" ingress would be filled by the first actor).
    const anyIngress = 2 * ids.reduce((n, id) => n + actorOf(id).link, 1);
    const servers = [this.learner, ...serverIds.map((id) => this.servers.get(id)!)].map((s) =>
      s.ingressBytesPerSec === UNLIMITED ? { ...s, ingressBytesPerSec: anyIngress } : s,
    );
    return parseMultiInstance(
      {
        inputBytes: this.inputBytes,
        layers: this.layers,
        servers,
        shareLevels: this.opts.shareLevels,
        allowLossyCodecs: this.allowLossy,
        // On loopback or one LAN every server is behind the same link: the actor's reported one.
        actors: ids.map((id) => ({ id, flops: actorOf(id).flops, links: servers.map(() => actorOf(id).link) })),
      },
      'distributed.serverAssign plan',
    );
  }

  private solve(inst: MultiInstance, serverIds: readonly string[], ids: readonly string[]): { plan: Strategy[]; solver: string; fallback?: string } {
    const solver = this.opts.solver;
    this.substituted = 0;
    if (ids.length === 0) return { plan: [], solver };
    if (solver === 'greedy') return { plan: solveMultiGreedy(inst), solver };
    if (solver === 'milp') return { plan: solveMultiMilpWith(this.highs!, inst, { timeLimitSec: this.opts.milpTimeLimitSec }).assignment, solver };
    if (solver === 'mahppo' || solver === 'shielded-marl') {
      const policy = this.policies.get(inst.servers.length);
      if (policy && solver === 'mahppo') return { plan: planFromCheckpoint(policy, inst, { shield: true }), solver: 'mahppo (shielded)' };
      if (policy) return { plan: this.shielded(policy, inst, serverIds, ids), solver: 'shielded marl (decentralised)' };
      return {
        plan: this.defp(inst, serverIds, ids),
        solver: 'defp',
        fallback: `no MAHPPO policy for ${inst.servers.length} server(s) (files cover ${this.coverage}): planned by DEFP`,
      };
    }
    return { plan: this.defp(inst, serverIds, ids), solver };
  }

  /**
   * solver shielded-marl: the standing requests through the shields. An actor that sent none, or whose
   * server left, gets what the policy asks for it in the fleet as it is now (and keeps that request).
   */
  private shielded(policy: PlannerCheckpoint, inst: MultiInstance, serverIds: readonly string[], ids: readonly string[]): Strategy[] {
    const names = [LEARNER_SERVER, ...serverIds];
    const index = new Map(names.map((id, s) => [id, s]));
    const base = this.contextBase(serverIds);
    const asked = ids.map((id): Strategy => {
      const r = this.requests.get(id);
      const server = r && (r.serverId === null ? -1 : index.get(r.serverId));
      if (r && server !== undefined) return { server, y: r.y, q: r.q, ...(r.codec ? { codec: r.codec } : {}) };
      // As the actor would have asked, had it joined now: its own view of the plan, the fleet as it is.
      const s = askAsActor(policy, base, this.actors.get(id)!, ids.length);
      this.requests.set(id, { serverId: s.server < 0 ? null : names[s.server], y: s.y, q: s.q, ...(s.codec ? { codec: s.codec } : {}), own: false });
      return s;
    });
    const r = shieldActions(inst, asked);
    this.substituted = r.substituted;
    return r.assignment;
  }

  /** DEFP from the previous plan (few moves). */
  private defp(inst: MultiInstance, serverIds: readonly string[], ids: readonly string[]): Strategy[] {
    const index = new Map([LEARNER_SERVER, ...serverIds].map((id, s) => [id, s]));
    const start = ids.map((id) => {
      const p = this.placed.get(id);
      const s = p && p.y < this.layers.length ? index.get(p.server) : undefined;
      return p && s !== undefined ? { server: s, y: p.y, q: p.q, ...(p.codec ? { codec: p.codec } : {}) } : LOCAL(inst);
    });
    return solveMultiDefp(inst, { start }).assignment;
  }

  private replan(reason: string): PlanChange[] {
    const ids = [...this.actors.keys()].sort();
    const serverIds = [...this.servers.keys()].sort();
    const inst = this.instance(ids, serverIds);
    const t0 = performance.now();
    const { plan, solver, fallback } = this.solve(inst, serverIds, ids);
    const solveMs = performance.now() - t0;
    const names = [LEARNER_SERVER, ...serverIds];
    const before = new Map([...this.placed.keys()].map((id) => [id, this.serverOf(id)]));
    const prev = new Map([...this.placed].map(([id, p]) => [id, `${p.y}/${p.codec}`]));
    this.placed = new Map(
      ids.map((id, i) => [
        id,
        { server: plan[i].server < 0 ? LEARNER_SERVER : names[plan[i].server], y: plan[i].y, q: plan[i].q, codec: plannedCodec(plan[i].codec) },
      ]),
    );
    const local = evaluateMulti(
      inst,
      ids.map(() => LOCAL(inst)),
    ).objective;
    this.latencyReduction = ids.length ? local - evaluateMulti(inst, plan).objective : 0;
    const changes = ids
      .filter((id) => prev.has(id) && prev.get(id) !== `${this.placed.get(id)!.y}/${this.placed.get(id)!.codec}`)
      .map((id) => ({ actorId: id, splitPoint: this.placed.get(id)!.y, codec: this.placed.get(id)!.codec }));
    const moves = ids.filter((id) => before.has(id) && before.get(id) !== this.serverOf(id)).length;
    this.replans++;
    this.last = {
      reason,
      solver,
      ...(fallback ? { fallback } : {}),
      solveMs,
      actors: ids.length,
      servers: serverIds.length,
      moves,
      splitChanges: changes.length,
      latencyReduction: this.latencyReduction,
    };
    this.onReplan?.(this.last);
    return changes;
  }
}

/** The learner's onReplan: each re-plan counted, its solve time observed, logged and written to the train log. */
export function replanReporter(metrics: LearnerMetrics, sink: LearnerSink): (r: Replan) => void {
  return (r) => {
    metrics.replans.inc();
    metrics.replanSolve.observe(r.solveMs / 1000);
    sink.log(
      `re-plan (${r.reason}): ${r.solver} over ${r.actors} actors and ${r.servers} servers in ${r.solveMs.toFixed(2)} ms; ${r.moves} server moves, ${r.splitChanges} split changes${r.fallback ? ` (${r.fallback})` : ''}`,
    );
    sink.event({ event: 'replan', ...r });
  };
}
