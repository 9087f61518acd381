import type { RunConfig } from '../config/schema.js';
import type { PolicyModel } from '../model/index.js';
import { type AssignmentChange, DefpPartitioner, type PartitionSystem } from '../partition/index.js';
import { plannedCodec, plannerLayers } from './planner-layers.js';
import type { PlannerCheckpoint } from '../partition/multi/mahppo/checkpoint.js';
import type { SplitCodecs } from './split-codecs.js';
import { type Hello, parseBandwidth, parseDeviceProfile } from '../transport/index.js';
import type { PlanChange, PlanDescription, SplitPlanner } from './planner-types.js';
import { MahppoPlanner } from './mahppo-planner.js';
import { MultiServerPlanner } from './multi-server-planner.js';
import type { Highs } from '../partition/milp.js';

export type { PlanChange, PlanDescription, SplitPlanner } from './planner-types.js';

/** Seed-RL (y = 0 for all), IMPALA (y = K for all), or fixed per-actor split points from the config. */
export class FixedPlanner implements SplitPlanner {
  private readonly assigned = new Map<string, number>();
  constructor(
    private readonly pick: (actorId: string, index: number) => number,
    private readonly name: string,
    /** distributed.splitCodecs: the codec of actor i ('' or absent: the learner's default at its split). */
    private readonly pickCodec: (actorId: string, index: number) => string | undefined = () => undefined,
  ) {}

  join(actorId: string): { splitPoint: number; codec?: string; changes: PlanChange[] } {
    const i = this.assigned.size;
    const y = this.pick(actorId, i);
    this.assigned.set(actorId, y);
    const codec = this.pickCodec(actorId, i);
    return { splitPoint: y, ...(codec ? { codec } : {}), changes: [] };
  }

  leave(actorId: string): PlanChange[] {
    this.assigned.delete(actorId);
    return [];
  }

  describe(): PlanDescription {
    return { planner: this.name, assignment: Object.fromEntries(this.assigned) };
  }
}

const UNLIMITED = 1e18;

/**
 * Coknight mode: DEFP decides each actor's split point from its reported profile (device FLOP/s, link
 * bytes/s) and the learner's budgets, incrementally on every join and leave (Algorithm 1), and may move
 * actors already present; the learner pushes those moves to them.
 */
export class DefpPlanner implements SplitPlanner {
  readonly partitioner: DefpPartitioner;
  readonly system: PartitionSystem;

  constructor(model: PolicyModel, config: RunConfig, edgeFlops: number, codecs?: SplitCodecs) {
    const p = config.partition;
    this.system = {
      inputBytes: model.inputBytes,
      layers: plannerLayers(model, codecs),
      edge: {
        flops: p.edgeFlops ?? edgeFlops,
        computeBudget: p.computeBudget ?? UNLIMITED,
        bandwidthBudget: p.bandwidthBudget ?? UNLIMITED,
        delta: p.delta,
        allowLossyCodecs: config.distributed.allowLossyCodecs,
      },
    };
    this.partitioner = new DefpPartitioner(this.system, { passesPerEvent: p.passesPerEvent });
    this.defaultFlops = p.defaultActorFlops;
  }

  private readonly defaultFlops: number;

  join(actorId: string, hello: Hello): { splitPoint: number; codec: string; changes: PlanChange[] } {
    const prof = parseDeviceProfile(hello.profile);
    const flops = prof.flops ?? this.defaultFlops;
    const link = prof.linkBytesPerSec ?? UNLIMITED;
    if (this.partitioner.splitOf(actorId) !== undefined) this.partitioner.leave(actorId);
    const changes = this.partitioner.join({ id: actorId, flops, linkBytesPerSec: link });
    return { splitPoint: this.partitioner.splitOf(actorId)!, codec: this.codecOf(actorId), changes: this.changes(changes) };
  }

  /** The codec of an actor's (y, codec) strategy ('' = float32 or nothing sent). */
  codecOf(actorId: string): string {
    return plannedCodec(this.partitioner.codecOf(actorId));
  }

  leave(actorId: string): PlanChange[] {
    if (this.partitioner.splitOf(actorId) === undefined) return [];
    return this.changes(this.partitioner.leave(actorId));
  }

  private changes(cs: readonly AssignmentChange[]): PlanChange[] {
    return cs.filter((c) => c.to !== null).map((c) => ({ actorId: String(c.id), splitPoint: c.to as number, codec: c.toCodec ?? '' }));
  }

  describe(): PlanDescription {
    const u = this.partitioner.usage();
    return {
      planner: 'defp',
      assignment: Object.fromEntries([...this.partitioner.assignment()].map(([k, v]) => [String(k), v])),
      budgets: {
        compute: { used: u.compute, budget: this.system.edge.computeBudget },
        bandwidth: { used: u.bandwidth, budget: this.system.edge.bandwidthBudget },
      },
      latencyReduction: this.partitioner.latencyReduction(),
    };
  }
}

/**
 * Index of an actor in per-actor config lists: spawned actors are named a<i> (a<i>.<stream> with
 * several streams) and get entry i whatever order they connect in; other actors count in join order.
 */
export function spawnedIndex(actorId: string, joinOrder: number): number {
  const m = /^a(\d+)(?:\.\d+)?$/.exec(actorId);
  return m ? Number(m[1]) : joinOrder;
}

/** The planner a mode implies (coknight mode: DEFP, or the MAHPPO policy when one is given). */
/** What a planner needs loaded before the learner starts (files read, wasm instantiated). */
export interface LoadedPlanners {
  /** partition.planner mahppo: the single-learner policy. */
  readonly mahppo?: PlannerCheckpoint;
  /** partition.multi.solver mahppo: one policy per server count. */
  readonly policies?: readonly PlannerCheckpoint[];
  /** partition.multi.solver milp: HiGHS. */
  readonly highs?: Highs;
}

export function plannerFor(config: RunConfig, model: PolicyModel, edgeFlops: number, codecs?: SplitCodecs, loaded: LoadedPlanners = {}): SplitPlanner {
  const { mahppo, highs, policies } = loaded;
  const K = model.K;
  if (config.mode === 'seed') return new FixedPlanner(() => 0, 'seed (y=0 for every actor)');
  if (config.mode === 'impala') return new FixedPlanner(() => K, `impala (y=K=${K} for every actor)`);
  const fixed = config.distributed.splitPoints;
  if (fixed.length > 0 && fixed.every((y) => y >= 0)) {
    for (const y of fixed) if (y > K) throw new Error(`distributed.splitPoints: ${y} is above K=${K} for the ${model.spec} network`);
    const pickY = (id: string, i: number): number => fixed[spawnedIndex(id, i) % fixed.length];
    const sc = config.distributed.splitCodecs;
    // Checked here, at start-up: each listed codec must be one the learner holds at that actor's split.
    sc.forEach((id, i) => {
      const y = fixed[i % fixed.length];
      const held = codecs?.idsAt(y) ?? [];
      if (id !== '' && !held.includes(id)) {
        throw new Error(
          `distributed.splitCodecs[${i}] "${id}": actor a${i} sits at split point ${y}, where the learner holds ${held.length ? held.join(', ') : 'no codec'} (distributed.codecs)`,
        );
      }
    });
    const pickCodec = (id: string, i: number): string | undefined => sc[spawnedIndex(id, i)] || undefined;
    const name = `fixed split points [${fixed.join(', ')}]${sc.length ? `, codecs [${sc.join(', ')}]` : ''}`;
    return new FixedPlanner(pickY, name, pickCodec);
  }
  if (config.distributed.serverAssign === 'plan') return new MultiServerPlanner(model, config, edgeFlops, highs, codecs, policies);
  const learned = config.partition.planner;
  if (learned !== 'defp') {
    if (!mahppo) throw new Error(`partition.planner is ${learned} but no planner checkpoint was loaded (set partition.plannerCheckpoint)`);
    return new MahppoPlanner(model, config, edgeFlops, mahppo, codecs, learned === 'shielded-marl');
  }
  return new DefpPlanner(model, config, edgeFlops, codecs);
}

/** Bytes/s of a bandwidth setting, for an actor's profile (unlimited → undefined). */
export function linkBytesPerSec(bw: string | number): number | undefined {
  const v = typeof bw === 'number' ? bw : parseBandwidth(bw);
  return Number.isFinite(v) ? v : undefined;
}
