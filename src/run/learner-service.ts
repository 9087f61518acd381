/**
 * A learner as a service on this machine: the Learner plus what it needs from the OS — its token,
 * TLS files, the /metrics HTTP endpoint, the run directory's logs (a RunRecorder as its sink) and
 * checkpoints. `coknight learner`, `coknight train --mode …` and the tests start learners this way.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RunConfig } from '../config/schema.js';
import { Learner, type LearnerSink, type LoadedPlanners, plannerFor, type SplitPlanner, type UpdateReport } from '../learner/index.js';
import type { PolicyModel } from '../model/index.js';
import { type Checkpoint, codecStateOf, loadCheckpoint, offPathCodecStatesOf, writeRunCheckpoint } from './checkpoint.js';
import { loadPlannerCheckpoint } from './planner-file.js';
import { loadHighs } from '../partition/milp.js';
import { RunRecorder } from './recorder.js';
import { mountDashboard } from './dashboard/mount.js';
import type { Dashboard } from './dashboard/server.js';

export interface LearnerServiceOptions {
  readonly runDir: string;
  /** Shared with a harness; a fresh one over runDir otherwise. */
  readonly recorder?: RunRecorder;
  /** A checkpoint (or a run directory holding one) to continue from. */
  readonly resume?: Checkpoint | string;
  readonly log?: (msg: string) => void;
  readonly planner?: (model: PolicyModel, edgeFlops: number) => SplitPlanner;
  /** After every update (progress display, periodic checkpoints); awaited by the train loop. */
  readonly onUpdate?: (u: UpdateReport) => void | Promise<void>;
}

/** The token: the config's, else $COKNIGHT_TOKEN, else a random one (spawned actors get it from the environment). */
export function resolveToken(config: RunConfig): string {
  return config.distributed.token ?? process.env.COKNIGHT_TOKEN ?? randomBytes(16).toString('hex');
}

export { readTokenFile } from '../util/token-file.js';

export class LearnerService {
  metricsAddress = '';
  /** The live dashboard at http://<metricsAddress>/dashboard/ (when /metrics is served). */
  dashboard: Dashboard | undefined;

  private constructor(
    readonly learner: Learner,
    readonly recorder: RunRecorder,
    readonly token: string,
    private readonly runDir: string,
    private readonly log: (msg: string) => void,
  ) {}

  static async start(config: RunConfig, opts: LearnerServiceOptions): Promise<LearnerService> {
    const log = opts.log ?? ((m: string) => console.error(m));
    const recorder = opts.recorder ?? new RunRecorder(opts.runDir, config);
    const resumed = typeof opts.resume === 'string' ? loadCheckpoint(opts.resume) : opts.resume;
    if (resumed && !opts.recorder) recorder.restore(resumed.meta);
    const d = config.distributed;
    const tls = d.tlsCert && d.tlsKey ? { cert: readFileSync(d.tlsCert), key: readFileSync(d.tlsKey) } : undefined;
    const token = resolveToken(config);
    const ref: { learner?: Learner } = {};
    const rates = new ActorRates();
    const sink: LearnerSink = {
      episode: (e) => {
        recorder.episode(e.ret, e.length, { actor: e.actor, env: e.env });
        ref.learner?.metrics.episodeReturn.set(recorder.recent.mean());
      },
      update: (u) => {
        const fps = recorder.update(u.stats, { policyLag: u.policyLag, inferenceBusy: u.inferenceBusy, trainingBusy: u.trainingBusy });
        if (fps !== null && ref.learner) {
          ref.learner.metrics.framesPerSecond.set(fps);
          rates.update(ref.learner, recorder);
        }
        return opts.onUpdate?.(u);
      },
      event: (e) => recorder.trainLog.write(e),
      log,
    };
    const multi = config.partition.multi;
    const plan = d.serverAssign === 'plan';
    const loaded: LoadedPlanners = {
      mahppo: config.partition.planner !== 'defp' ? loadPlannerCheckpoint(config.partition.plannerCheckpoint!) : undefined,
      policies:
        plan && (multi.solver === 'mahppo' || multi.solver === 'shielded-marl')
          ? multi.plannerCheckpoints.map((f, i) => loadPlannerCheckpoint(f, `partition.multi.plannerCheckpoints[${i}]`))
          : undefined,
      // The live MILP solves synchronously on every join and leave: load HiGHS (wasm) once, up front.
      highs: plan && multi.solver === 'milp' ? await loadHighs() : undefined,
    };
    const learner = await Learner.create({ config, token, tls, sink, planner: opts.planner ?? ((m, f, c) => plannerFor(config, m, f, c, loaded)) });
    ref.learner = learner;
    if (resumed) {
      const codec = codecStateOf(resumed);
      const offPathCodecs = offPathCodecStatesOf(resumed);
      await learner.restore({
        weights: resumed.weights,
        optimizer: resumed.optimizer,
        frames: resumed.meta.frames,
        updates: resumed.meta.updates,
        codec,
        offPathCodecs,
      });
      log(`learner resumed at ${resumed.meta.frames} frames (version ${learner.model.version})`);
    }
    await learner.start();
    const svc = new LearnerService(learner, recorder, token, opts.runDir, log);
    try {
      if (d.metricsListen) {
        svc.metricsAddress = await learner.metrics.listen(d.metricsListen);
        svc.dashboard = mountDashboard(learner, opts.runDir, svc.metricsAddress, token);
      }
    } catch (e) {
      await learner.stop(null);
      learner.dispose();
      throw new Error(`cannot serve /metrics on ${d.metricsListen}: ${(e as Error).message}`, { cause: e });
    }
    return svc;
  }

  get address(): string {
    return this.learner.address;
  }

  async checkpoint(): Promise<string> {
    return writeRunCheckpoint(this.runDir, this.learner.config, this.recorder, this.learner.model, await this.learner.save(), this.log);
  }

  /** See Learner.stop: `runEnd` null cuts the actors' streams as a crash would. */
  async stop(runEnd: string | null = 'finished'): Promise<void> {
    await this.learner.stop(runEnd);
    this.dashboard?.close();
    await this.learner.metrics.close();
  }

  dispose(): void {
    this.learner.dispose();
    this.recorder.close();
  }
}

/** Per-actor byte totals and recent rates (since the previous call), and env steps/s. */
class ActorRates {
  private readonly last = new Map<string, { at: number; values: number[] }>();

  update(l: Learner, recorder: RunRecorder): void {
    const now = performance.now();
    const tb: Record<string, number> = {};
    for (const a of l.registry.all()) {
      const inf = l.registry.inferenceBytes(a);
      const series: [string, string, number][] = [
        ['inference', 'received', inf.received],
        ['inference', 'sent', inf.sent],
        ['upload', 'received', l.uploadBytes(a.id)],
        ['params', 'sent', a.paramBytes],
      ];
      const steps = a.stepsServed + a.stepsLocal;
      const prev = this.last.get(a.id);
      series.forEach(([channel, direction, v], i) => {
        l.metrics.actorBytes.set({ actor: a.id, channel, direction }, v);
        tb[`actor/${a.id}/${channel}_${direction}_bytes`] = v;
        if (prev) l.metrics.actorBytesPerSecond.set({ actor: a.id, channel, direction }, ((v - prev.values[i]) * 1000) / Math.max(1, now - prev.at));
      });
      if (prev) l.metrics.actorEnvSteps.set({ actor: a.id }, ((steps - prev.values[series.length]) * 1000) / Math.max(1, now - prev.at));
      this.last.set(a.id, { at: now, values: [...series.map((x) => x[2]), steps] });
    }
    recorder.tb.scalars(l.frames, tb);
  }
}
