/**
 * The training worker thread: its own copy of the network and the TrainStep (V-trace, loss,
 * gradients, RMSProp) on the main thread's backend, so an update no longer blocks the learner's
 * event loop (inference batches, gRPC, uploads). Feature codecs that train with the model are
 * rebuilt here from the main thread's states and train here too; their states go back after every
 * update. A thin shell: requests are handled one at a time, in order, and every failure goes back as
 * an error reply.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend/index.js';
import { FeatureCodec } from '../codec/index.js';
import { createModel } from '../model/index.js';
import { CodecTrainer } from './codec-training.js';
import { readFlatWeights, writeFlatWeights } from './flat-weights.js';
import { TrainStep } from './train-step.js';
import type { TrainWorkerInit, TrainWorkerReply, TrainWorkerRequest } from './train-worker-protocol.js';

const init = workerData as TrainWorkerInit;
const port = parentPort!;
const send = (m: TrainWorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const ready = (async () => {
  await initBackend({ prefer: init.backend, threads: init.threads, log: () => {} });
  const model = createModel(init.spec, { inputShape: [...init.inputShape] as [number, number, number], numActions: init.numActions, seed: init.seed });
  const step = await TrainStep.create(model, init.hyper);
  if (init.codecs) {
    const trainers = init.codecs.entries.map(({ y, state }) => {
      const codec = new FeatureCodec(state.codec, model.layers[y - 1].outShape);
      codec.load(state, `training worker: codec "${state.codec}" at split point ${y}`);
      return new CodecTrainer(model, codec, y, init.codecs!.training, init.hyper);
    });
    step.attachCodec(trainers[0]);
    step.attachOffPathCodecs(trainers.slice(1));
  }
  return { model, step };
})();

/** The codecs' states in TrainWorkerCodecs order (undefined without codecs). */
const codecStates = (step: TrainStep) => (step.codecTrainers.length ? step.codecTrainers.map((t) => t.codec.state()) : undefined);

async function handle(m: TrainWorkerRequest): Promise<void> {
  const { model, step } = await ready;
  switch (m.kind) {
    case 'step': {
      if (m.weights) {
        const own = model.variableNames;
        if (m.weights.names.join(',') !== own.join(',')) {
          throw new Error(`training worker: weights are for variables ${m.weights.names.join(',')}, this network has ${own.join(',')}`);
        }
        writeFlatWeights(model, m.weights.data, 'the learner');
      }
      step.frames = m.frames;
      model.version = m.version;
      const stats = await step.step(m.batch);
      // a skipped update still moved the codec ranges (its forward pass ran)
      const codecs = codecStates(step);
      const reply = { kind: 'stepped', id: m.id, stats, frames: step.frames, ...(codecs ? { codecs } : {}) } as const;
      if (stats.skipped) return send(reply);
      const weights = await readFlatWeights(model);
      return send({ ...reply, weights }, [weights.buffer as ArrayBuffer]);
    }
    case 'getOptimizer':
      return send({ kind: 'optimizer', id: m.id, slots: await step.getOptimizerState() });
    case 'setOptimizer':
      await step.setOptimizerState(m.slots);
      return send({ kind: 'done', id: m.id });
    case 'saveCodecs':
      return send({ kind: 'codecsSaved', id: m.id, saved: await step.saveCodecs() });
    case 'restoreCodecs':
      await step.restoreCodecs(m.saved);
      return send({ kind: 'codecsRestored', id: m.id, codecs: codecStates(step) ?? [] });
  }
}

let chain: Promise<void> = ready.then(
  () => send({ kind: 'ready' }),
  (e: Error) => send({ kind: 'error', id: -1, name: e.name, message: e.message }),
);
port.on('message', (m: TrainWorkerRequest) => {
  chain = chain.then(() => handle(m)).catch((e: Error) => send({ kind: 'error', id: m.id, name: e.name, message: e.message }));
});
