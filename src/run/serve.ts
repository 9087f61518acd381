/**
 * `coknight serve` on this machine: the tfjs backend, the learner's contract, one ServeRole until the
 * learner ends the run (exit 0) or is lost (exit 1, so a supervisor restarts it), and the signals.
 */
import { initBackend } from '../backend/index.js';
import type { InferenceChoice } from '../model/index.js';
import { ServeRole } from '../serve/inference-server.js';
import { type ClientTls, fetchLearnerContract } from '../transport/index.js';

export interface ServeRunOptions {
  readonly learner: string;
  readonly listen: string;
  readonly token: string;
  readonly serverId: string;
  readonly advertiseHost?: string;
  readonly tls?: ClientTls;
  readonly inference: InferenceChoice;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly giveUpAfterMs: number;
  readonly log: (m: string) => void;
}

/** Serves until the learner's run ends; resolves with the process exit code. */
export async function runServe(o: ServeRunOptions, stop: AbortSignal): Promise<number> {
  await initBackend({ log: () => {}, gradients: false });
  o.log(`asking the learner at ${o.learner} what it trains`);
  const reply = await fetchLearnerContract({ address: o.learner, token: o.token, tls: o.tls, giveUpAfterMs: o.giveUpAfterMs, signal: stop });
  const role = await ServeRole.start(
    {
      learner: o.learner,
      token: o.token,
      serverId: o.serverId,
      listen: o.listen,
      advertiseHost: o.advertiseHost,
      tls: o.tls,
      inference: o.inference,
      maxBatch: o.maxBatch,
      maxWaitMs: o.maxWaitMs,
      log: o.log,
    },
    reply,
  );
  const stopped = new Promise<'stopped'>((r) => stop.addEventListener('abort', () => r('stopped'), { once: true }));
  const end = await Promise.race([role.ended(), stopped]);
  const runEnd = end === 'stopped' ? undefined : end.runEnded;
  await role.close(runEnd);
  o.log(`served ${role.envSteps} env steps; ${end === 'stopped' ? 'stopped' : runEnd !== undefined ? `run ended (${runEnd})` : 'lost the learner'}`);
  return end === 'stopped' || runEnd !== undefined ? 0 : 1;
}
