/**
 * Who trains with this learner and where each splits: admits an actor (checking that it runs the
 * learner's env), asks the split planner for its split point and codec on every join and leave, pushes the
 * moves the plan makes to the actors concerned, and drops the unfinished unrolls of an actor that
 * leaves or reconnects (counted as its droppedSteps). Refusals and moves are reported to the sink.
 */
import type { LearnerMetrics } from '../metrics/learner-metrics.js';
import type { PolicyModel } from '../model/index.js';
import { type ActorContext, type Hello, ProtocolError } from '../transport/index.js';
import type { ActorRegistry, ActorState } from './actor-registry.js';
import type { LearnerSink } from './sink.js';
import type { PlanChange, SplitPlanner } from './split-planner.js';
import type { TrajectoryAssembler } from './trajectory-assembler.js';

export class Membership {
  constructor(
    private readonly envId: string,
    private readonly model: PolicyModel,
    private readonly registry: ActorRegistry,
    private readonly planner: SplitPlanner,
    private readonly assembler: TrajectoryAssembler,
    private readonly metrics: LearnerMetrics,
    private readonly sink: LearnerSink,
    /**
     * The codec an actor at y uses ('' = float32 or none) given what the planner chose (undefined:
     * it chose none; then the first codec the learner holds at y).
     */
    private readonly codecAt: (y: number, planned: string | undefined) => string = () => '',
  ) {}

  /** Actor ids whose registration is under way (their upload socket is being bound). */
  readonly registering = new Set<string>();

  /**
   * Refusals before anything is allocated for a Hello: a second Hello for an actor id with a live
   * stream (it would take over the slot: the real actor keeps its stream, and a genuine reconnect
   * retries until the learner has seen the old stream end), and more envs than the learner allows.
   */
  precheck(hello: Hello, ctx: ActorContext, maxEnvs: number): void {
    const live = this.registry.get(hello.actorId);
    if ((live?.ctx && live.ctx !== ctx) || this.registering.has(hello.actorId)) {
      throw new ProtocolError(
        'ALREADY_REGISTERED',
        `actor id "${hello.actorId}" already has a live stream on this learner: each actor needs its own --actor-id`,
      );
    }
    if (hello.numEnvs > maxEnvs) {
      throw new ProtocolError(
        'OVER_BUDGET',
        `Hello.numEnvs ${hello.numEnvs} exceeds this learner's limit of ${maxEnvs} envs per actor (distributed.maxEnvsPerActor)`,
      );
    }
    this.planner.check?.(hello.actorId, hello);
  }

  /** Registers an actor at the split point the plan gives it; throws ProtocolError to refuse it. */
  admit(hello: Hello, ctx: ActorContext): ActorState {
    return this.join(hello, ctx);
  }

  /** Reports a refused registration (whatever refused it). */
  refused(hello: Hello, ctx: ActorContext, e: Error): void {
    this.sink.log(`refused actor ${hello.actorId} (peer ${ctx.peer}): ${e.message}`);
    this.sink.event({ event: 'refused', actor: hello.actorId, reason: e.message });
  }

  /** The actor must run the learner's env: same observation shape and action count. */
  checkShape(hello: Hello): void {
    const { inputShape: shape, numActions } = this.model;
    if (hello.obsShape.join('x') !== shape.join('x') || hello.numActions !== numActions) {
      throw new ProtocolError(
        'BAD_SHAPE',
        `actor "${hello.actorId}" runs observations [${hello.obsShape.join(', ')}] with ${hello.numActions} actions, but this learner trains ` +
          `${this.envId} ([${shape.join(', ')}], ${numActions} actions): start the actor without --env (it then takes the learner's)`,
      );
    }
  }

  /** An actor's stream ended (whatever the reason); `quiet` skips the log line (the learner is stopping). Returns the actor, if it was live. */
  leave(ctx: ActorContext, details: string, quiet: boolean): ActorState | undefined {
    const a = this.registry.live(ctx);
    if (!a) return undefined;
    this.registry.detach(a);
    this.dropUnrolls(a);
    const t0 = performance.now();
    const changes = this.planner.leave(a.id);
    const planMs = performance.now() - t0;
    const moved = this.apply(changes, a.id);
    this.planChanged(a);
    if (!quiet) this.sink.log(`actor ${a.id} left (${details})`);
    this.sink.event({ event: 'leave', actor: a.id, details, planMs, moved });
    return a;
  }

  private join(hello: Hello, ctx: ActorContext): ActorState {
    this.checkShape(hello);
    const { actor: a, returning } = this.registry.register(hello.actorId, hello.numEnvs, ctx);
    if (returning) {
      // A reconnecting actor restarts its envs and step ids: forget its unfinished unrolls.
      this.dropUnrolls(a);
      this.planner.leave(a.id);
    } else this.metrics.actorJoined(a.id);
    const t0 = performance.now();
    const plan = this.planner.join(hello.actorId, hello);
    const planMs = performance.now() - t0;
    a.splitPoint = plan.splitPoint;
    a.codec = this.codecAt(plan.splitPoint, plan.codec);
    const moved = this.apply(plan.changes, a.id);
    this.planChanged(a);
    const withCodec = a.codec ? ` with codec ${a.codec}` : '';
    this.sink.log(`actor ${a.id} joined (${hello.numEnvs} envs, peer ${ctx.peer}) at split point ${a.splitPoint}/${this.model.K}${withCodec}`);
    this.sink.event({
      event: 'join',
      actor: a.id,
      splitPoint: a.splitPoint,
      codec: a.codec,
      profile: hello.profile ?? {},
      plan: this.planner.describe(),
      planMs,
      moved,
    });
    return a;
  }

  /**
   * Pushes a plan's split changes to the actors concerned (also the multi-server planner's, from
   * ServerPool); returns how many other actors it moved (a change to where an actor already is moves none).
   */
  apply(changes: readonly PlanChange[], except = ''): number {
    let moved = 0;
    for (const ch of changes) {
      if (ch.actorId === except) continue;
      const other = this.registry.get(ch.actorId);
      const codec = this.codecAt(ch.splitPoint, ch.codec);
      if (!other?.ctx || (other.splitPoint === ch.splitPoint && other.codec === codec)) continue;
      other.splitPoint = ch.splitPoint;
      other.codec = codec;
      other.ctx.push({ type: 'SplitPointChange', splitPoint: ch.splitPoint, fromStepId: 0, reason: 'partition plan changed', ...(codec ? { codec } : {}) });
      this.metrics.splitPoint.set({ actor: other.id }, ch.splitPoint);
      this.sink.log(`actor ${other.id} moves to split point ${ch.splitPoint}${codec ? ` with codec ${codec}` : ''}`);
      moved++;
    }
    return moved;
  }

  /** Metrics of the current plan: split points, connected actors, budget use (where the planner has budgets). */
  private planChanged(a: ActorState): void {
    this.metrics.splitPoint.set({ actor: a.id }, a.splitPoint);
    this.metrics.actorsConnected.set(this.registry.connectedCount());
    const budgets = this.planner.describe().budgets;
    for (const r of ['compute', 'bandwidth'] as const) {
      const b = budgets?.[r];
      if (b && b.budget > 0) this.metrics.budgetUsed.set({ resource: r }, b.used / b.budget);
    }
  }

  private dropUnrolls(a: ActorState): void {
    const n = this.assembler.dropActor(a.index);
    a.droppedSteps += n;
    this.metrics.discardedSteps.inc({ why: 'actor_left' }, n);
  }
}
