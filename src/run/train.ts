/** `coknight train`: one run as configured, in this process (local) or as a learner with spawned actors. */
import type { RunConfig } from '../config/schema.js';
import { runDistributed } from './distributed.js';
import { runLocal } from './local.js';

export interface RunOptions {
  resume?: string;
  log?: (msg: string) => void;
  stop?: AbortSignal;
}

/** Runs a training job as configured and returns its summary (also written to summary.json). */
export async function runTraining(config: RunConfig, opts: RunOptions = {}): Promise<Record<string, unknown>> {
  if (config.mode === 'local') return runLocal(config, opts);
  return runDistributed(config, { ...opts, spawnActors: config.distributed.actors });
}
