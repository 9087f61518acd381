/**
 * `--mode seed|impala|coknight` on one machine, and `coknight learner`: the learner runs in this
 * process, N actor processes are spawned on loopback (and restarted if they die), remote actors may
 * join at any time, and the run ends when the learner has trained on the configured frames.
 */
import type { ChildProcess } from 'node:child_process';
import type { RunConfig } from '../config/schema.js';
import { actionRepeatFor } from '../learner/index.js';
import { ActorProcesses } from './actor-processes.js';
import { lossWarning, lostFraction } from './data-loss.js';
import { RunHarness } from './harness.js';
import { LearnerService } from './learner-service.js';

export interface DistributedRunOptions {
  resume?: string;
  /** Start this many local actor processes (0: wait for remote actors). */
  spawnActors: number;
  log?: (msg: string) => void;
  /** Called once the learner listens (tests use it to find the address). */
  onListening?: (service: LearnerService) => void;
  /** Ends the run early (like Ctrl-C: checkpoint, summary) when aborted. */
  stop?: AbortSignal;
  /** Called for every actor process started (tests kill them to check fault tolerance). */
  onActorSpawn?: (index: number, child: ChildProcess) => void;
}

export async function runDistributed(config: RunConfig, opts: DistributedRunOptions): Promise<Record<string, unknown>> {
  const h = await RunHarness.open(config, opts);
  let svc: LearnerService | undefined;
  let actors: ActorProcesses | undefined;
  let warned = false;
  let lost = 0;
  let lostAt = 0;
  try {
    svc = await LearnerService.start(config, {
      runDir: h.runDir,
      recorder: h.recorder,
      resume: h.resumed,
      log: h.log,
      onUpdate: async () => {
        const l = svc!.learner;
        const b = l.busy();
        if (performance.now() - lostAt > 1000) {
          lostAt = performance.now();
          const acc = l.stepAccounting();
          lost = lostFraction(acc);
          const warning =
            warned || acc.served < 50 * config.hyper.unrollLength * config.hyper.batchSize ? null : lossWarning(acc, config.distributed.maxQueuedUnrolls);
          if (warning) {
            warned = true;
            h.log(warning);
          }
        }
        h.progress({
          frames: l.frames,
          extra:
            `| lag ${l.policyLag.toFixed(1)} | infer ${(100 * b.inferenceBusy).toFixed(0)}% train ${(100 * b.trainingBusy).toFixed(0)}%` +
            ` | lost ${(100 * lost).toFixed(0)}%`,
        });
        await h.checkpointIfDue(l.model, () => l.save());
      },
    });
    const l = svc.learner;
    h.log(
      `learner listening on ${svc.address} (${config.mode} mode, ${l.model.spec} network K=${l.K}, ` +
        `learner ${(l.edgeFlops / 1e9).toFixed(2)} GFLOP/s)` +
        (svc.metricsAddress ? `; metrics at http://${svc.metricsAddress}/metrics, dashboard at http://${svc.metricsAddress}/dashboard/` : ''),
    );
    opts.onListening?.(svc);
    actors = new ActorProcesses(config, svc.address, { token: svc.token, log: h.log, onSpawn: opts.onActorSpawn });
    actors.start(opts.spawnActors);
    while (!l.done && !h.stopping) await new Promise((r) => setTimeout(r, 100));
  } finally {
    // The learner tells its actors the run is over and they exit by themselves; stragglers get SIGTERM.
    actors?.stopRestarting();
    await svc?.stop(h.stopping ? 'stopped' : 'finished');
    await actors?.stop();
    if (!svc) h.close();
  }
  try {
    const l = svc.learner;
    const busy = l.busy();
    const stats = l.serverStats;
    const acc = l.stepAccounting();
    h.log(
      `actor steps: ${acc.served} produced, ${acc.trained} trained on, ${(100 * lostFraction(acc)).toFixed(1)}% discarded ` +
        `(${acc.discarded} queue full or budget reached, ${acc.dropped} with actors that left)`,
    );
    const warning = lossWarning(acc, config.distributed.maxQueuedUnrolls);
    if (warning && !warned) h.log(warning);
    return await h.finish(`${config.env.id} (${config.mode} mode, ${opts.spawnActors} actors, seed ${config.seed})`, l.model, await l.save(), {
      K: l.K,
      inference: l.inference.runnerDetail,
      trainThread: l.trainThread,
      inferenceBusyFraction: busy.inferenceBusy,
      trainingBusyFraction: busy.trainingBusy,
      policyLag: l.policyLag,
      learnerFlops: l.edgeFlops,
      inferenceRequests: stats?.requests ?? 0,
      stepAccounting: acc,
      codecs: l.codecs.table() ?? {},
      codecInexactDecodes: l.codecs.inexactDecodes,
      discardedFraction: lostFraction(acc),
      queueFull: config.distributed.queueFull,
      queueFullHolds: l.heldCount,
      rejected: { ...stats?.rejectedByCode, ...Object.fromEntries(Object.entries(l.intake.rejected).map(([k, v]) => [`upload_${k}`, v])) },
      actors: actorSummaries(svc, (id) => actors!.summaryFor(id)),
      servers: l.servers.list().map((x) => ({ id: x.id, address: x.address, stepsServed: x.stepsServed, rejected: x.rejected })),
      serverMoves: l.servers.moves,
    });
  } finally {
    h.close();
    svc.dispose();
  }
}

/** Per-actor accounting for summary.json. */
function actorSummaries(svc: LearnerService, extra: (id: string) => Record<string, unknown>): Record<string, unknown>[] {
  const l = svc.learner;
  const repeat = actionRepeatFor(l.config.env.id);
  return [...l.registry.all()].map((a) => {
    const inf = l.registry.inferenceBytes(a);
    return {
      id: a.id,
      splitPoint: a.splitPoint,
      codec: a.codec,
      codecTraffic: a.codecTraffic,
      unknownCodecSteps: a.unknownCodecSteps,
      frames: (a.stepsServed + a.stepsLocal) * repeat,
      stepsServed: a.stepsServed,
      stepsLocal: a.stepsLocal,
      stepsDropped: a.droppedSteps,
      registrations: a.registrations,
      learnerBytesReceived: inf.received + l.uploadBytes(a.id),
      learnerBytesSent: inf.sent + a.paramBytes,
      paramBytesSent: a.paramBytes,
      ...extra(a.id),
    };
  });
}
