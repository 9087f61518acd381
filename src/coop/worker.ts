/**
 * A site worker: one device. Connects to its coordinator, receives the network and weights, then
 * runs the block tasks it is sent (runDeviceTask) and returns its part. A task whose slice has the
 * wrong shape is answered with an error naming the shape it needed, not computed.
 */
import { connect, type Socket } from 'node:net';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, networkSpecFromName, type PolicyModel } from '../model/index.js';
import type { SiteBlock } from './plan.js';
import { WeightSlices } from './execute.js';
import { runDeviceTask } from './run-task.js';
import { bytesOf, encodeFrame, floatsOf, readFrames, type Frame } from './wire.js';

export interface WorkerOptions {
  readonly host: string;
  readonly port: number;
  readonly id: string;
  /** Milliseconds to wait before answering each task (fault tests use it to kill a worker mid-block). */
  readonly delayMs?: number;
  readonly log?: (msg: string) => void;
  /**
   * Keep trying to connect this long while the coordinator is not listening yet (a worker started
   * beside its coordinator, as on the testbed; default 0: one attempt).
   */
  readonly retryForMs?: number;
}

const NOT_LISTENING = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** A connected socket to host:port, retrying every 200 ms for up to retryForMs while nobody listens. */
function connectRetrying(host: string, port: number, retryForMs: number): Promise<Socket> {
  const deadline = performance.now() + retryForMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = connect(port, host);
      const onError = (e: NodeJS.ErrnoException): void => {
        socket.destroy();
        if (NOT_LISTENING.has(e.code ?? '') && performance.now() + 200 < deadline) setTimeout(attempt, 200);
        else reject(e);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(socket);
      });
    };
    attempt();
  });
}

/** Runs until the coordinator closes the connection. */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const socket = await connectRetrying(o.host, o.port, o.retryForMs ?? 0);
  return new Promise((resolve, reject) => {
    socket.setNoDelay(true); // small frames both ways: Nagle + delayed ACKs would add ~40 ms per round
    let model: PolicyModel | undefined;
    let modelKey = '';
    const slices = new WeightSlices();
    const send = (h: Frame['header'], body?: Uint8Array): boolean => socket.write(encodeFrame(h, body));
    send({ type: 'hello', id: o.id, pid: process.pid });
    socket.on('error', reject);
    socket.on('close', () => {
      model?.dispose();
      resolve();
    });
    readFrames(socket, (f) => {
      const h = f.header;
      try {
        if (h.type === 'init') {
          slices.clear();
          const shape = h.inputShape as [number, number, number];
          const key = `${String(h.spec)}|${shape.join('x')}|${Number(h.numActions)}`;
          // a weights refresh of the same network only loads the new values (building it again costs more)
          if (!model || modelKey !== key) {
            model?.dispose();
            model = createModel(networkSpecFromName(String(h.spec), 'site init'), { inputShape: shape, numActions: Number(h.numActions) });
            modelKey = key;
          }
          model.setLayerWeights(f.body);
          send({ type: 'ready', version: model.version });
        } else if (h.type === 'task') {
          if (!model) throw new Error('task before init');
          const m = model;
          const block = h.block as SiteBlock;
          const shape = h.shape as number[];
          const t0 = performance.now();
          const out = tf.tidy(() => {
            const x = tf.tensor(floatsOf(f.body), shape, 'float32');
            const parts = Array.from({ length: m.K }, (_, i) => m.layerParts(i + 1));
            return runDeviceTask(parts, block, Number(h.device), x, slices);
          });
          const data = out.dataSync() as Float32Array;
          const reply = { type: 'result', id: h.id, shape: out.shape, computeMs: performance.now() - t0 };
          out.dispose();
          const answer = (): void => void send(reply, bytesOf(data));
          if (o.delayMs) setTimeout(answer, o.delayMs);
          else answer();
        }
      } catch (err) {
        send({ type: 'error', id: h.id ?? null, message: (err as Error).message });
      }
    });
  });
}
