/**
 * The inference servers helping this learner (`coknight serve`) and which one serves each actor.
 * Servers run the tails and forward every served step (ServedStep) on their Serve stream; here each
 * is checked against the actor's registration and route and enters through the same UploadIntake as
 * the learner's own steps, so the assembler builds unrolls exactly as for steps served here.
 *
 * Moves keep every step in one place at a time. Moving actor A from X to Y: A's route becomes Y at
 * once, X is told 'unassign', and A is told ServerChange (it finishes its step in flight, then leaves
 * X). Y gets A ('assign', or the learner's own step handler opens for A) only once X has released A:
 * X sends 'release' on its stream after the last step it forwarded for A (the same ordered stream),
 * or X's stream ends. So the learner takes A's steps in order, each exactly once. A forward that does
 * not match A's current registration or route is not taken and is counted (stale), never trained.
 */
import type { LearnerMetrics } from '../metrics/learner-metrics.js';
import {
  ProtocolError,
  type RegisterResult,
  type ServedStep,
  type ServeHandler,
  type ServerControl,
  type ServerLink,
  type StepRequest,
} from '../transport/index.js';
import type { ActorRegistry, ActorState } from './actor-registry.js';
import type { MultiServerPlanner } from './multi-server-planner.js';
import type { PlanChange } from './planner-types.js';
import type { LearnerSink } from './sink.js';
import type { UploadIntake } from './upload-intake.js';

/** How long a move waits for the old server's release before giving up on it. */
const RELEASE_TIMEOUT_MS = 30_000;

export interface ServerEntry {
  readonly id: string;
  readonly address: string;
  readonly link: ServerLink;
  /** Env steps this server served that went into the learner's unrolls (or are pending there). */
  stepsServed: number;
  /** Forwards not taken (stale registration, not routed here, out of range). */
  rejected: number;
}

interface Route {
  /** Server serving the actor now (null: the learner). */
  server: string | null;
  /** Server the actor is leaving; its steps are still taken until it releases the actor. */
  leaving: string | null;
  /** Resolves once `leaving` has released the actor. */
  gate: Promise<void> | null;
  open?: () => void;
  /** When a re-plan moved the actor to a server (performance.now()), until its first step there arrives. */
  plannedAt?: number;
}

export interface ServerPoolHooks {
  /** The contract and parameter endpoint for a registering server (with its own CURVE keys). */
  contract(serverId: string): RegisterResult;
  revoke(serverId: string): void;
  /** Learner backpressure: resolves when the unroll queue has room. */
  room(): Promise<void> | undefined;
  /** 'plan': the live multi-server planner, and the learner's path for the split changes it makes. */
  plan?: { planner: MultiServerPlanner; applySplits(changes: readonly PlanChange[]): void };
}

export class ServerPool {
  private readonly servers = new Map<string, ServerEntry>();
  private readonly routes = new Map<string, Route>();
  /** Servers seen, by id (the latest connection of each), for the run's summary. */
  private readonly seen = new Map<string, ServerEntry>();
  /** Moves made so far. */
  moves = 0;

  constructor(
    private readonly registry: ActorRegistry,
    private readonly intake: UploadIntake,
    private readonly metrics: LearnerMetrics,
    private readonly sink: LearnerSink,
    private readonly hooks: ServerPoolHooks,
    /** 'balance': a new actor goes to the server with the fewest actors; 'manual': to the learner until moved; 'plan': where hooks.plan says. */
    private readonly assign: 'balance' | 'manual' | 'plan',
  ) {
    if (assign === 'plan' && !hooks.plan)
      throw new Error("distributed.serverAssign 'plan' needs the multi-server planner (coknight mode's plannerFor builds it)");
  }

  get size(): number {
    return this.servers.size;
  }

  /** Every server seen in this run (connected or not), with its counters. */
  list(): (ServerEntry & { connected: boolean })[] {
    return [...this.seen.values()].map((s) => ({ ...s, connected: this.servers.get(s.id) === s }));
  }

  /** Where an actor's steps go now (null: the learner). */
  serverOf(actorId: string): string | null {
    return this.routes.get(actorId)?.server ?? null;
  }

  /** The learner's side of the Serve stream. */
  handler(): ServeHandler {
    return {
      register: (hello, link) => this.register(hello, link),
      served: (step, link) => this.served(step, link),
      release: (msg, link) => this.release(msg, link),
      disconnect: (link, _code, details) => this.disconnect(link, details),
    };
  }

  register(hello: { serverId: string; address: string }, link: ServerLink): RegisterResult {
    if (this.servers.has(hello.serverId)) {
      throw new ProtocolError('ALREADY_REGISTERED', `inference server id "${hello.serverId}" is already connected: give each server its own --server-id`);
    }
    const res = this.hooks.contract(hello.serverId);
    const prev = this.seen.get(hello.serverId);
    const entry: ServerEntry = { id: hello.serverId, address: hello.address, link, stepsServed: prev?.stepsServed ?? 0, rejected: prev?.rejected ?? 0 };
    this.servers.set(hello.serverId, entry);
    this.seen.set(hello.serverId, entry);
    this.sink.log(`inference server ${hello.serverId} joined (actors reach it at ${hello.address}, peer ${link.peer})`);
    this.sink.event({ event: 'server_join', server: hello.serverId, address: hello.address });
    this.updateGauges();
    if (this.assign === 'balance') setImmediate(() => this.rebalance());
    if (this.hooks.plan) {
      this.hooks.plan.applySplits(this.hooks.plan.planner.serverJoined(hello.serverId));
      setImmediate(() => this.applyPlan());
    }
    return res;
  }

  /** A newly registered actor starts on the learner; with 'balance' it moves to the least-loaded server. */
  joined(a: ActorState): void {
    this.left(a.id); // a re-registration: whatever served it before does no longer
    this.routes.set(a.id, { server: null, leaving: null, gate: null });
    this.updateGauges();
    if (this.assign === 'balance' && this.servers.size > 0) setImmediate(() => this.rebalance());
    if (this.hooks.plan) setImmediate(() => this.applyPlan());
  }

  /** The actor's stream to the learner ended: it is no one's to serve any more. */
  left(actorId: string): void {
    const r = this.routes.get(actorId);
    if (!r) return;
    this.routes.delete(actorId);
    if (r.server) this.servers.get(r.server)?.link.send({ type: 'ServerControl', op: 'unassign', actorId, value: 0 });
    r.open?.();
    this.updateGauges();
    if (this.hooks.plan) setImmediate(() => this.applyPlan()); // the planner re-planned when Membership told it
  }

  /**
   * Moves an actor's inference to server `to` (null: the learner). Resolves when the move is complete
   * (the old place released the actor). Throws for an unknown actor or server.
   */
  move(actorId: string, to: string | null, reason = 'moved'): Promise<void> {
    const a = this.registry.get(actorId);
    const r = this.routes.get(actorId);
    if (!a?.ctx || !r) throw new RangeError(`move: actor "${actorId}" is not connected`);
    if (to !== null && !this.servers.has(to))
      throw new RangeError(`move: no inference server "${to}" (connected: ${[...this.servers.keys()].join(', ') || 'none'})`);
    if (r.server === to) return r.gate ?? Promise.resolve();
    const from = r.server;
    // A move during a move: the earlier source must still release before the new target opens.
    const pending = r.gate;
    let open!: () => void;
    const released = new Promise<void>((resolve) => (open = resolve));
    const next: Route = { server: to, leaving: from ?? r.leaving, gate: null, open };
    this.routes.set(actorId, next);
    if (from) this.servers.get(from)?.link.send({ type: 'ServerControl', op: 'unassign', actorId, value: 0 });
    const timer = setTimeout(() => {
      this.sink.log(`inference server ${from} did not release actor ${actorId} within ${RELEASE_TIMEOUT_MS / 1000} s; moving it anyway`);
      open();
    }, RELEASE_TIMEOUT_MS);
    if (from === null && !pending) open(); // the learner answered its last step before the actor heard of the move
    if (from !== null && !this.servers.has(from)) open(); // a server that left forwards nothing more: no release to wait for
    next.gate = Promise.all([released, pending]).then(() => {
      clearTimeout(timer);
      if (this.routes.get(actorId) !== next) return;
      next.leaving = null;
      next.gate = null;
      next.open = undefined;
      const cur = this.registry.get(actorId);
      if (to && cur?.ctx) this.servers.get(to)?.link.send({ type: 'ServerControl', op: 'assign', actorId, value: cur.registrations });
    });
    a.ctx.push({ type: 'ServerChange', address: to === null ? '' : this.servers.get(to)!.address, reason });
    this.moves++;
    this.metrics.serverMoves.inc();
    this.updateGauges();
    this.sink.log(`actor ${actorId} moves from ${from ?? 'the learner'} to ${to ?? 'the learner'} (${reason})`);
    this.sink.event({ event: 'server_move', actor: actorId, from: from ?? 'learner', to: to ?? 'learner', reason });
    return next.gate;
  }

  /** A direct step from an actor: waits while the actor is still leaving a server (see the header). */
  gate(actorId: string): Promise<void> | undefined {
    const r = this.routes.get(actorId);
    return r?.server === null && r.gate ? r.gate : undefined;
  }

  /** One forwarded step: taken through the intake like a step served here, or counted as stale. */
  async served(step: ServedStep, link: ServerLink): Promise<void> {
    const s = this.servers.get(link.hello.serverId);
    if (!s || s.link !== link) return;
    const wait = this.hooks.room();
    if (wait) await wait;
    const a = this.registry.get(step.actorId);
    const r = this.routes.get(step.actorId);
    // Checked again after any wait below: the actor may have left or moved meanwhile.
    const stale = (): boolean => !a?.ctx || !r || step.registration !== a.registrations || (r.server !== s.id && r.leaving !== s.id);
    if (stale() || !a || !r) {
      s.rejected++;
      this.metrics.rejected.inc({ reason: 'served_STALE' });
      return;
    }
    try {
      if (step.numEnvs !== a.numEnvs) throw new ProtocolError('BAD_SHAPE', `ServedStep.numEnvs ${step.numEnvs}: actor "${a.id}" registered ${a.numEnvs}`);
      const y = step.splitPoint;
      const req: StepRequest = {
        type: 'StepRequest',
        stepId: step.stepId,
        splitPoint: y,
        headVersion: step.behaviourVersion,
        dtype: y === 0 ? 'uint8' : 'float32',
        shape: [],
        numEnvs: step.numEnvs,
        payload: y === 0 ? step.obs : new Float32Array(0),
        rewards: step.rewards,
        dones: step.dones,
      };
      this.intake.checkServed(req, step.logits);
      // An actor the plan moved from y = K to a server has its last local steps still on the upload
      // channel: its first forwarded steps wait for them, as a direct request does (UploadIntake.catchUp).
      await this.intake.catchUp(a, req);
      if (stale()) {
        s.rejected++;
        this.metrics.rejected.inc({ reason: 'served_STALE' });
        return;
      }
      this.intake.request(a, req);
      const n = this.intake.served(a, step.stepId, step.actions, step.logits, step.behaviourVersion);
      s.stepsServed += n;
      this.metrics.serverEnvSteps.inc({ server: s.id }, n);
      if (r.plannedAt !== undefined && r.server === s.id) {
        // Re-planning time as the actors see it: from the re-plan to the first step the new server forwarded.
        this.metrics.replanSettle.observe((performance.now() - r.plannedAt) / 1000);
        r.plannedAt = undefined;
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      s.rejected++;
      this.metrics.rejected.inc({ reason: `served_${e.code}` });
      this.sink.log(`refused a step of actor ${a.id} forwarded by inference server ${s.id}: ${e.message}`);
    }
  }

  release(msg: ServerControl, link: ServerLink): void {
    const r = this.routes.get(msg.actorId);
    if (r?.leaving === link.hello.serverId) r.open?.();
  }

  /** A server's stream ended: its actors are released; those still routed to it go back to the learner. */
  disconnect(link: ServerLink, details: string): void {
    const s = this.servers.get(link.hello.serverId);
    if (!s || s.link !== link) return;
    this.servers.delete(s.id);
    this.hooks.revoke(s.id);
    if (this.hooks.plan) this.hooks.plan.applySplits(this.hooks.plan.planner.serverLeft(s.id));
    for (const [actorId, r] of this.routes) {
      if (r.leaving === s.id) r.open?.();
      if (r.server === s.id && this.registry.get(actorId)?.ctx) {
        const to = this.hooks.plan?.planner.serverOf(actorId) ?? null;
        void this.move(actorId, to !== null && this.servers.has(to) ? to : null, `inference server ${s.id} left`);
      }
    }
    if (this.hooks.plan) setImmediate(() => this.applyPlan());
    this.metrics.serverActors.remove({ server: s.id });
    this.updateGauges();
    this.sink.log(`inference server ${s.id} left (${details}); it served ${s.stepsServed} env steps`);
    this.sink.event({ event: 'server_leave', server: s.id, details, stepsServed: s.stepsServed });
  }

  /** 'plan': every live actor whose route differs from the planner's current plan moves there. */
  applyPlan(): void {
    const planner = this.hooks.plan?.planner;
    if (!planner) return;
    const t = performance.now();
    for (const [id, r] of [...this.routes]) {
      if (!this.registry.get(id)?.ctx) continue;
      const to = planner.serverOf(id);
      if (r.server === to || (to !== null && !this.servers.has(to))) continue;
      void this.move(id, to, 'plan');
      const moved = this.routes.get(id);
      if (moved && to !== null) moved.plannedAt = t;
    }
  }

  /** 'balance': actors on the learner, or on a server with more than its share, move to the least-loaded server. */
  rebalance(): void {
    if (this.servers.size === 0) return;
    const load = new Map<string, string[]>([...this.servers.keys()].map((k) => [k, []]));
    const onLearner: string[] = [];
    for (const [id, r] of this.routes) {
      if (!this.registry.get(id)?.ctx) continue;
      if (r.server === null) onLearner.push(id);
      else load.get(r.server)?.push(id);
    }
    const least = (): string => [...load.entries()].sort((x, y) => x[1].length - y[1].length || (x[0] < y[0] ? -1 : 1))[0][0];
    for (const id of onLearner.sort()) {
      const to = least();
      load.get(to)!.push(id);
      void this.move(id, to, 'balance');
    }
    for (;;) {
      const sorted = [...load.entries()].sort((x, y) => y[1].length - x[1].length || (x[0] < y[0] ? -1 : 1));
      const [most, fewest] = [sorted[0], sorted[sorted.length - 1]];
      if (most[1].length - fewest[1].length <= 1) break;
      const id = most[1].pop()!;
      fewest[1].push(id);
      void this.move(id, fewest[0], 'balance');
    }
  }

  private updateGauges(): void {
    const counts = new Map<string, number>([['learner', 0], ...[...this.servers.keys()].map((k): [string, number] => [k, 0])]);
    for (const r of this.routes.values()) {
      const k = r.server ?? 'learner';
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const [k, n] of counts) this.metrics.serverActors.set({ server: k }, n);
  }
}
