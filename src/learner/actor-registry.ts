/**
 * The actors a learner knows: one entry per actor id for the whole run (a reconnect reuses it), with
 * its live stream, split point and exact step and byte accounting. Invariant, per actor:
 * stepsServed + stepsLocal = what the actor produced; droppedSteps = steps of unrolls lost when it
 * left or reconnected. Closed streams' inference bytes are kept so totals span registrations.
 */
import type { ActorContext } from '../transport/index.js';

export interface ActorState {
  readonly id: string;
  /** Dense index (join order), the assembler's key. */
  readonly index: number;
  ctx: ActorContext | null;
  splitPoint: number;
  /** Codec of its split feature ('' = float32, or nothing sent at y = 0 / y = K). */
  codec: string;
  /** Coded steps refused because they named a (y, codec) the learner does not hold. */
  unknownCodecSteps: number;
  /** Coded step messages decoded, and their code bytes (payload only), per codec id. */
  codecTraffic: Record<string, { steps: number; bytes: number }>;
  numEnvs: number;
  stepsServed: number;
  framesUploaded: number;
  stepsLocal: number;
  droppedSteps: number;
  registrations: number;
  /** Parameter bytes published on the topics this actor subscribes to (layers 1..y). */
  paramBytes: number;
}

export interface ByteTotals {
  sent: number;
  received: number;
}

export class ActorRegistry {
  private readonly actors = new Map<string, ActorState>();
  private readonly byIndex: (ActorState | undefined)[] = [];
  private readonly pastBytes = new Map<string, ByteTotals>();
  /** Departed actors, oldest first (the ones forgetDeparted drops first). */
  private readonly departed = new Set<string>();
  /** Step totals of actors forgotten by forgetDeparted, so the run's accounting still spans them. */
  private readonly forgotten = { actors: 0, served: 0, dropped: 0 };

  get size(): number {
    return this.actors.size;
  }

  get(id: string): ActorState | undefined {
    return this.actors.get(id);
  }

  at(index: number): ActorState | undefined {
    return this.byIndex[index];
  }

  all(): IterableIterator<ActorState> {
    return this.actors.values();
  }

  /** The entry for a registering actor (new, or the one it had before a reconnect). */
  register(id: string, numEnvs: number, ctx: ActorContext): { actor: ActorState; returning: boolean } {
    let a = this.actors.get(id);
    const returning = a !== undefined;
    if (!a) {
      a = {
        id,
        index: this.byIndex.length,
        ctx: null,
        splitPoint: 0,
        codec: '',
        unknownCodecSteps: 0,
        codecTraffic: {},
        numEnvs,
        stepsServed: 0,
        framesUploaded: 0,
        stepsLocal: 0,
        droppedSteps: 0,
        registrations: 0,
        paramBytes: 0,
      };
      this.actors.set(id, a);
      this.byIndex.push(a);
    }
    if (a.ctx) this.keepBytes(a);
    this.departed.delete(id);
    a.registrations++;
    a.ctx = ctx;
    a.numEnvs = numEnvs;
    return { actor: a, returning };
  }

  /** The actor whose live stream is `ctx`, if that stream is still its current one. */
  live(ctx: ActorContext): ActorState | undefined {
    const a = this.actors.get(ctx.actorId);
    return a && a.ctx === ctx ? a : undefined;
  }

  /** Ends an actor's stream, keeping its byte totals. */
  detach(a: ActorState): void {
    if (!a.ctx) return;
    this.keepBytes(a);
    a.ctx = null;
    this.departed.add(a.id);
  }

  /**
   * Forgets the oldest departed actors beyond `keep` (their entries, byte totals and index; their
   * step totals stay in totals()). An id seen again later registers as a new actor. Returns them.
   */
  forgetDeparted(keep: number): ActorState[] {
    const out: ActorState[] = [];
    for (const id of this.departed) {
      if (this.departed.size <= keep) break;
      this.departed.delete(id);
      const a = this.actors.get(id);
      if (!a || a.ctx) continue;
      this.actors.delete(id);
      this.byIndex[a.index] = undefined;
      this.pastBytes.delete(id);
      this.forgotten.actors++;
      this.forgotten.served += a.stepsServed + a.stepsLocal;
      this.forgotten.dropped += a.droppedSteps;
      out.push(a);
    }
    return out;
  }

  /** Actors forgotten so far. */
  get forgottenCount(): number {
    return this.forgotten.actors;
  }

  connectedCount(): number {
    let n = 0;
    for (const a of this.actors.values()) if (a.ctx) n++;
    return n;
  }

  /** Inference-channel bytes of an actor, over all its registrations. */
  inferenceBytes(a: ActorState): ByteTotals {
    const p = this.pastBytes.get(a.id) ?? { sent: 0, received: 0 };
    const live = a.ctx?.stats.snapshot().inference;
    return { sent: p.sent + (live?.sentBytes ?? 0), received: p.received + (live?.receivedBytes ?? 0) };
  }

  /** Steps produced by all actors, and steps dropped with departed or reconnected actors. */
  totals(): { served: number; dropped: number } {
    let served = this.forgotten.served;
    let dropped = this.forgotten.dropped;
    for (const a of this.actors.values()) {
      served += a.stepsServed + a.stepsLocal;
      dropped += a.droppedSteps;
    }
    return { served, dropped };
  }

  private keepBytes(a: ActorState): void {
    const s = a.ctx!.stats.snapshot().inference;
    const p = this.pastBytes.get(a.id) ?? { sent: 0, received: 0 };
    p.sent += s.sentBytes;
    p.received += s.receivedBytes;
    this.pastBytes.set(a.id, p);
  }
}
