import type { RunConfig } from '../config/schema.js';
import type { PolicyModel } from '../model/index.js';
import { evaluateMulti, LOCAL, parseMultiInstance, type MultiInstance } from '../partition/multi/index.js';
import { checkpointMismatch, planFromCheckpoint, type PlannerCheckpoint } from '../partition/multi/mahppo/checkpoint.js';
import { type Hello, parseDeviceProfile } from '../transport/index.js';
import type { PlanChange, PlanDescription, SplitPlanner } from './planner-types.js';
import { plannedCodec, plannerLayers } from './planner-layers.js';
import type { SplitCodecs } from './split-codecs.js';

const UNLIMITED = 1e18;

/**
 * Coknight mode with a learned planner: on every join and leave the MAHPPO policy (one server: this
 * learner) re-plans every actor from their reported profiles, and the shield keeps the plan inside the
 * learner's compute budget and ingress. Split points and codecs (with the run's feature codecs) reach the
 * actors; the share each actor commits is part of the plan's latency model.
 */
export class MahppoPlanner implements SplitPlanner {
  private readonly actors = new Map<string, { flops: number; link: number }>();
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

  private replan(): PlanChange[] {
    const ids = [...this.actors.keys()];
    const inst = this.instance(ids);
    const plan = ids.length ? planFromCheckpoint(this.checkpoint, inst, { shield: true }) : [];
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

  join(actorId: string, hello: Hello): { splitPoint: number; codec: string; changes: PlanChange[] } {
    const prof = parseDeviceProfile(hello.profile);
    this.actors.set(actorId, { flops: prof.flops ?? this.defaultFlops, link: prof.linkBytesPerSec ?? UNLIMITED });
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
      planner: 'mahppo (shielded)',
      assignment: Object.fromEntries([...this.assigned].map(([id, a]) => [id, a.y])),
      latencyReduction: this.latencyReduction,
    };
  }
}
