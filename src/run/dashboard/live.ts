import type { Learner } from '../../learner/index.js';
import type { ActorView, LiveSource, Status } from './types.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A running learner as the dashboard's live source: its actor registry, busy fractions, lag and plan. */
export function liveSource(l: Learner): LiveSource {
  const last = new Map<string, { at: number; up: number; down: number; upPerSec?: number; downPerSec?: number }>();
  let fpsAt = { at: performance.now(), frames: l.frames, fps: undefined as number | undefined };
  return {
    K: l.K,
    actors(): ActorView[] {
      const now = performance.now();
      return [...l.registry.all()].map((a) => {
        const inf = l.registry.inferenceBytes(a);
        const up = inf.received + l.uploadBytes(a.id);
        const down = inf.sent + a.paramBytes;
        let prev = last.get(a.id);
        if (!prev) last.set(a.id, (prev = { at: now, up, down }));
        else if (now - prev.at >= 500) {
          const dt = (now - prev.at) / 1000;
          last.set(a.id, (prev = { at: now, up, down, upPerSec: (up - prev.up) / dt, downPerSec: (down - prev.down) / dt }));
        }
        const profile = (a.ctx?.hello.profile ?? {}) as Record<string, unknown>;
        return {
          id: a.id,
          connected: a.ctx !== null,
          splitPoint: a.splitPoint,
          flops: num(profile.flops),
          linkCap: num(profile.linkBytesPerSec),
          codec: typeof profile.codec === 'string' ? profile.codec : undefined,
          numEnvs: a.numEnvs,
          stepsServed: a.stepsServed,
          stepsLocal: a.stepsLocal,
          bytesUp: up,
          bytesDown: down,
          upPerSec: prev.upPerSec,
          downPerSec: prev.downPerSec,
          restarts: Math.max(0, a.registrations - 1),
        };
      });
    },
    status(): Status {
      const now = performance.now();
      if (now - fpsAt.at >= 1000) fpsAt = { at: now, frames: l.frames, fps: ((l.frames - fpsAt.frames) * 1000) / (now - fpsAt.at) };
      const plan = l.planner.describe();
      return {
        frames: l.frames,
        fps: fpsAt.fps,
        ...l.busy(),
        policyLag: l.policyLag,
        connected: l.registry.connectedCount(),
        done: l.done,
        planner: plan.planner,
        budgets: plan.budgets,
      };
    },
  };
}
