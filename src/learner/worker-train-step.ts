/**
 * A TrainStep that runs in a worker thread (train-worker-main.ts). The learner's main thread keeps
 * serving inference while an update runs; each update's new weights come back in one transferred
 * array and are written into the main thread's model (which inference, parameter publishing and
 * checkpoints read), so the two copies agree after every step. The worker holds the optimizer: its
 * state comes and goes by message. Feature codecs that train with the model train in the worker too
 * (its own copies, built from the main thread's); their weights and ranges come back with each
 * update into the main thread's codecs (which decode, publish and stamp versions), and their
 * checkpoint states come and go by message like the optimizer's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Worker } from 'node:worker_threads';
import { nativeKernelsInstalled } from '../backend/index.js';
import type { PolicyModel } from '../model/index.js';
import { startModuleWorker } from '../util/module-worker.js';
import { readFlatWeights, writeFlatWeights } from './flat-weights.js';
import type { TrainBatch } from './batch.js';
import type { CodecState, FeatureCodec } from '../codec/index.js';
import type { CodecTrainingOptions } from './codec-training.js';
import type { LearnerHyperParams } from './hyperparams.js';
import type { CodecCheckpoints, OptimizerSlot, Trainer, TrainStats } from './trainer.js';
import type { TrainWorkerInit, TrainWorkerReply, TrainWorkerRequest } from './train-worker-protocol.js';

/** The main thread's codecs that train with the model, the main one first (SplitCodecs.all()). */
export interface WorkerCodecs {
  readonly entries: readonly { readonly y: number; readonly codec: FeatureCodec }[];
  readonly training: CodecTrainingOptions;
}

type Pending = { resolve: (r: TrainWorkerReply) => void; reject: (e: Error) => void };

/** The backend a worker can train on like the main thread does, or why it cannot. */
export function workerBackend(): TrainWorkerInit['backend'] | { why: string } {
  const name = tf.getBackend();
  if (name === 'wasm') return nativeKernelsInstalled() ? 'native' : 'wasm';
  if (name === 'cpu') return 'cpu';
  return { why: `the '${name}' backend holds a device of its own that a worker thread does not share` };
}

export class WorkerTrainStep implements Trainer {
  readonly thread = 'worker' as const;
  frames = 0;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private pushWeights = true;
  private disposed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly model: PolicyModel,
    readonly hp: LearnerHyperParams,
    private readonly codecs: WorkerCodecs['entries'],
  ) {
    worker.on('message', (m: TrainWorkerReply) => this.onReply(m));
    worker.on('error', (e) => this.fail(new Error(`training worker failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => {
      if (!this.disposed) this.fail(new Error(`training worker exited (code ${code})`));
    });
  }

  /** Starts the worker on the same network spec, backend and codecs; resolves once it has built them. */
  static async start(model: PolicyModel, hp: LearnerHyperParams, seed: number, threads = 1, codecs?: WorkerCodecs): Promise<WorkerTrainStep> {
    const backend = workerBackend();
    if (typeof backend !== 'string') throw new Error(`trainThread 'worker': ${backend.why}; use trainThread 'main' or 'auto'`);
    const entries = codecs?.entries ?? [];
    const init: TrainWorkerInit = {
      spec: model.spec,
      inputShape: model.inputShape,
      numActions: model.numActions,
      seed,
      hyper: hp,
      backend,
      threads,
      ...(codecs && entries.length ? { codecs: { entries: entries.map((e) => ({ y: e.y, state: e.codec.state() })), training: codecs.training } } : {}),
    };
    const worker = startModuleWorker(import.meta.url, 'train-worker-main', { workerData: init });
    const t = new WorkerTrainStep(worker, model, hp, entries);
    await new Promise<void>((resolve, reject) => t.pending.set(-1, { resolve: () => resolve(), reject }));
    return t;
  }

  weightsChanged(): void {
    this.pushWeights = true;
  }

  async step(batch: TrainBatch): Promise<TrainStats> {
    const weights = this.pushWeights ? { names: this.model.variableNames, data: await readFlatWeights(this.model) } : undefined;
    // hand over whole buffers only (a view's buffer may hold someone else's data): views are copied
    const transfer = [batch.obs, batch.actions, batch.rewards, batch.dones, batch.behaviourLogits]
      .filter((a) => a.byteOffset === 0 && a.buffer.byteLength === a.byteLength)
      .map((a) => a.buffer as ArrayBuffer);
    if (weights) transfer.push(weights.data.buffer as ArrayBuffer);
    const r = await this.request(
      (id) => ({ kind: 'step', id, batch, frames: this.frames, version: this.model.version, ...(weights ? { weights } : {}) }),
      new Set(transfer),
    );
    if (r.kind !== 'stepped') throw new Error(`training worker answered a step with '${r.kind}'`);
    this.pushWeights = false;
    this.frames = r.frames;
    // the versions stay the main thread's: it stamps them when it publishes
    this.takeCodecs(r.codecs, 'after an update', true);
    if (r.stats.skipped) return r.stats;
    if (!r.weights) throw new Error('training worker sent no weights after an update');
    writeFlatWeights(this.model, r.weights, 'training worker');
    this.model.version = r.stats.version; // the worker's, after the update
    this.model.markUpdated();
    return r.stats;
  }

  async getOptimizerState(): Promise<OptimizerSlot[]> {
    const r = await this.request((id) => ({ kind: 'getOptimizer', id }));
    if (r.kind !== 'optimizer') throw new Error(`training worker answered getOptimizer with '${r.kind}'`);
    return r.slots;
  }

  async setOptimizerState(slots: readonly OptimizerSlot[]): Promise<void> {
    await this.request((id) => ({ kind: 'setOptimizer', id, slots }));
  }

  async saveCodecs(): Promise<CodecCheckpoints> {
    if (this.codecs.length === 0) return {};
    const r = await this.request((id) => ({ kind: 'saveCodecs', id }));
    if (r.kind !== 'codecsSaved') throw new Error(`training worker answered saveCodecs with '${r.kind}'`);
    // The worker's copies never publish: the version a checkpoint records is the main thread's.
    const version = (c: CodecCheckpoints['codec']) => c && { ...c, meta: { ...c.meta, version: this.codecAt(c.meta.y, c.meta.codec).version } };
    return {
      ...(r.saved.codec ? { codec: version(r.saved.codec) } : {}),
      ...(r.saved.offPathCodecs ? { offPathCodecs: r.saved.offPathCodecs.map((c) => version(c)!) } : {}),
    };
  }

  async restoreCodecs(saved: CodecCheckpoints): Promise<void> {
    if (this.codecs.length === 0) return;
    const r = await this.request((id) => ({ kind: 'restoreCodecs', id, saved }));
    if (r.kind !== 'codecsRestored') throw new Error(`training worker answered restoreCodecs with '${r.kind}'`);
    this.takeCodecs(r.codecs, 'after a restore', false);
  }

  /** Writes the worker's codec states into the main thread's codecs (same order); `keepVersion`: not theirs. */
  private takeCodecs(states: readonly CodecState[] | undefined, when: string, keepVersion: boolean): void {
    if (this.codecs.length === 0) return;
    if (states?.length !== this.codecs.length)
      throw new Error(`training worker sent ${states?.length ?? 0} codec states ${when}, expected ${this.codecs.length}`);
    this.codecs.forEach(({ y, codec }, i) => {
      const s = states[i];
      codec.load(keepVersion ? { ...s, version: codec.version } : s, `training worker's codec "${s.codec}" at split point ${y} ${when}`);
    });
  }

  private codecAt(y: number, id: string): FeatureCodec {
    const e = this.codecs.find((c) => c.y === y && c.codec.spec.id === id);
    if (!e) throw new Error(`training worker saved codec "${id}" at split point ${y}, which this learner does not hold`);
    return e.codec;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.fail(new Error('training worker disposed'));
    void this.worker.terminate();
  }

  private request(make: (id: number) => TrainWorkerRequest, transfer: Set<ArrayBuffer> = new Set()): Promise<TrainWorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(make(id), [...transfer]);
    });
  }

  private onReply(m: TrainWorkerReply): void {
    const id = m.kind === 'ready' ? -1 : m.id;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (m.kind === 'error') {
      const e = new Error(m.message);
      e.name = m.name;
      p.reject(id === -1 ? new Error(`training worker could not start: ${m.message}`) : e);
    } else p.resolve(m);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
