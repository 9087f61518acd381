import type { RunConfig } from '../config/schema.js';
import type { PolicyModel } from '../model/index.js';
import { evaluateMulti, LOCAL, parseMultiInstance, shieldActions, type MultiInstance, type Strategy } from '../partition/multi/index.js';
import { askAsActor, checkpointMismatch, planFromCheckpoint, type PlannerCheckpoint } from '../partition/multi/mahppo/checkpoint.js';
import { type Hello, parseDeviceProfile, ProtocolError } from '../transport/index.js';
import { checkedRequest, policyWeights } from './proposals.js';
import type { PlanChange, PlanDescription, PlanningContext, SplitPlanner } from './planner-types.js';
import { plannedCodec, plannerLayers } from './planner-layers.js';
import type { SplitCodecs } from './split-codecs.js';

const UNLIMITED = 1e18;

/** An actor as the planner sees it; `proposal` is its standing request (decentralised), `own` whether it sent it. */
interface Entry {
  flops: number;
  link: number;
  proposal?: Strategy;
  own: boolean;
}

/**
 * Coknight mode with a learned planner (one server: this learner), in one of two ways:
 * - central (partition.planner mahppo): on every join and leave the MAHPPO policy re-plans every actor
 *   from their reported profiles, with the current actor count;
 * - decentralised (partition.planner shielded-marl, SROLE-style): each actor runs the policy on its own
 *   observation when it joins (the Contract reply carries the policy and the planning instance) and
 *   sends its request in Hello.profile.proposal; the learner never re-decides a request, and computes one
 *   only for an actor that sent none (no measured FLOP/s, or an older actor).
 * Either way the shield keeps the joint plan inside the learner's compute budget and ingress: on every
 * join and leave it grants the standing requests, largest gain first, and substitutes the nearest safe
 * strategy for those that collide (a leave can give a substituted actor back what it asked for).
 */
export class MahppoPlanner implements SplitPlanner {
  private readonly actors = new Map<string, Entry>();
  private substituted = 0;
  /** Split point and codec ('' = float32) per actor. */
  private assigned = new Map<string, { y: number; codec: string }>();
  private latencyReduction = 0;
  private readonly base: Omit<MultiInstance, 'actors'>;

  constructor(
    model: PolicyModel,
    config: RunConfig,
    edgeFlops: number,
    private readonly checkpoint: PlannerCheckpoint,
    codecs?: SplitCodecs,
    private readonly decentralised = false,
  ) {
    const p = config.partition;
    this.base = {
      inputBytes: model.inputBytes,
      layers: plannerLayers(model, codecs),
      servers: [
        { id: 'learner', flops: p.edgeFlops ?? edgeFlops, computeBudget: p.computeBudget ?? UNLIMITED, ingressBytesPerSec: p.ingressBytesPerSec ?? UNLIMITED },
      ],
      shareLevels: checkpoint.shareLevels,
      allowLossyCodecs: config.distributed.allowLossyCodecs,
    };
    this.defaultFlops = p.defaultActorFlops;
    const why = checkpointMismatch(checkpoint, this.instance([]));
    if (why) throw new Error(`partition.plannerCheckpoint does not fit this run: ${why}; train one for the ${model.spec} network with --servers 1`);
  }

  private readonly defaultFlops: number;

  private instance(ids: readonly string[]): MultiInstance {
    return parseMultiInstance({
      ...this.base,
      actors: ids.map((id) => ({ id, flops: this.actors.get(id)!.flops, links: [this.actors.get(id)!.link] })),
    });
  }

  /** What the Contract reply carries when actors propose (LearnerContract.planning). */
  planningContext(): PlanningContext | undefined {
    if (!this.decentralised) return undefined;
    return {
      planner: 'shielded-marl',
      checkpoint: { ...this.checkpoint, weights: policyWeights(this.checkpoint.weights) },
      instance: this.base,
      actors: this.actors.size,
    };
  }

  /** The joint plan: the policy for everyone now (central), or the standing requests (decentralised); behind the shield. */
  private plan(ids: readonly string[], inst: MultiInstance): Strategy[] {
    if (!this.decentralised) return planFromCheckpoint(this.checkpoint, inst, { shield: true });
    const r = shieldActions(
      inst,
      ids.map((id) => this.actors.get(id)!.proposal!),
    );
    this.substituted = r.substituted;
    return r.assignment;
  }

  /** An actor's own request, checked against this plan's strategies (a hostile or stale one is refused by name). */
  private request(e: Entry, p: NonNullable<ReturnType<typeof parseDeviceProfile>['proposal']>): Strategy {
    const inst = this.alone(e);
    if (p.serverId !== undefined && p.server >= 0 && inst.servers[p.server]?.id !== p.serverId)
      throw new ProtocolError(
        'BAD_FIELD',
        `Hello.profile.proposal.serverId "${p.serverId}" is not server ${p.server} of this learner's plan (${inst.servers.map((x) => x.id).join(', ')}): propose from the learner's Contract reply`,
      );
    return checkedRequest(inst, p, p.server);
  }

  private replan(): PlanChange[] {
    const ids = [...this.actors.keys()];
    const inst = this.instance(ids);
    this.substituted = 0;
    const plan = ids.length ? this.plan(ids, inst) : [];
    const local = evaluateMulti(
      inst,
      ids.map(() => LOCAL(inst)),
    );
    this.latencyReduction = ids.length ? local.objective - evaluateMulti(inst, plan).objective : 0;
    const next = new Map(ids.map((id, i) => [id, { y: plan[i].y, codec: plannedCodec(plan[i].codec) }]));
    const changes = ids
      .filter((id) => {
        const was = this.assigned.get(id);
        return was !== undefined && (was.y !== next.get(id)!.y || was.codec !== next.get(id)!.codec);
      })
      .map((id) => ({ actorId: id, splitPoint: next.get(id)!.y, codec: next.get(id)!.codec }));
    this.assigned = next;
    return changes;
  }

  /** Before anything is allocated for a Hello: its request must be one of this plan's strategies. */
  check(actorId: string, hello: Hello): void {
    if (!this.decentralised) return;
    const prof = parseDeviceProfile(hello.profile);
    if (!prof.proposal) return;
    this.request(this.entry(hello), prof.proposal);
  }

  private entry(hello: Hello): Entry {
    const prof = parseDeviceProfile(hello.profile);
    return { flops: prof.flops ?? this.defaultFlops, link: prof.linkBytesPerSec ?? UNLIMITED, own: false };
  }

  /** The plan's instance with one actor alone (what a proposing actor sees of itself). */
  private alone(e: Entry): MultiInstance {
    return parseMultiInstance({ ...this.base, actors: [{ id: 'self', flops: e.flops, links: [e.link] }] });
  }

  join(actorId: string, hello: Hello): { splitPoint: number; codec: string; changes: PlanChange[] } {
    const entry = this.entry(hello);
    if (this.decentralised) {
      const asked = parseDeviceProfile(hello.profile).proposal;
      entry.own = asked !== undefined;
      // An actor that sent none gets what its policy would have asked, computed here the same way.
      const others = this.actors.size - (this.actors.has(actorId) ? 1 : 0);
      entry.proposal = asked ? this.request(entry, asked) : askAsActor(this.checkpoint, this.base, entry, others + 1);
    }
    this.actors.set(actorId, entry);
    this.assigned.delete(actorId);
    const changes = this.replan();
    const a = this.assigned.get(actorId)!;
    return { splitPoint: a.y, codec: a.codec, changes };
  }

  leave(actorId: string): PlanChange[] {
    if (!this.actors.delete(actorId)) return [];
    this.assigned.delete(actorId);
    return this.replan();
  }

  describe(): PlanDescription {
    return {
      planner: this.decentralised
        ? `shielded marl (decentralised: ${[...this.actors.values()].filter((a) => a.own).length} of ${this.actors.size} requests from the actors, ${this.substituted} substituted by the shield)`
        : 'mahppo (shielded)',
      assignment: Object.fromEntries([...this.assigned].map(([id, a]) => [id, a.y])),
      latencyReduction: this.latencyReduction,
    };
  }
}
