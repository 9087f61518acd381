/**
 * A site: one coordinator (the gateway, in the actor's process) and k worker processes (the devices)
 * that jointly run head layers 1..y. Each block: the gateway cuts every device's input rows (halos
 * included), sends them, and gathers the parts. A worker that dies or stalls mid-block is dropped, the
 * site re-plans for the devices left and re-runs the step from its input, so the step is not lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type NetworkSpec, type PolicyModel } from '../model/index.js';
import { checkPlan, deviceTask, type SitePlan } from './plan.js';
import { cutInput, gather } from './run-task.js';
import { rowCount } from './slicing.js';
import { bytesOf, encodeFrame, floatsOf, readFrames } from './wire.js';

export interface SiteDevice {
  readonly id: string;
  /** Argv prefix for the worker, e.g. ['ip', 'netns', 'exec', 'dev1'] on the testbed. */
  readonly wrap?: readonly string[];
  /** Test hook: the worker waits this long before answering each task. */
  readonly delayMs?: number;
}

export interface SiteOptions {
  readonly spec: NetworkSpec;
  readonly inputShape: readonly [number, number, number];
  readonly numActions: number;
  readonly devices: readonly SiteDevice[];
  /** Layers 1..y run on the site (default K). */
  readonly y?: number;
  /** The planner: a plan of layers 1..y for the devices still alive (plan parts are indexed like `alive`). */
  readonly plan: (alive: readonly SiteDevice[], y: number) => SitePlan;
  /** Address workers connect to (default 127.0.0.1; on the testbed the host side of the veths). */
  readonly host?: string;
  /** Port to listen on (default: any free one). */
  readonly port?: number;
  /**
   * Workers are started by someone else (the testbed, each in its own namespace and cgroup) and
   * connect with their device ids; the site waits for all of them (default: it spawns them here).
   */
  readonly externalWorkers?: boolean;
  /** How long to wait for every worker to connect (default 60 s). */
  readonly connectTimeoutMs?: number;
  readonly taskTimeoutMs?: number;
  readonly log?: (msg: string) => void;
}

export interface SiteStep {
  /** Layer-y activations, [n, …outShape] row-major. */
  readonly out: Float32Array;
  /** Devices lost (and re-planned around) during this step. */
  readonly lost: readonly string[];
  readonly seconds: number;
}

class DeviceLost extends Error {}

interface Worker {
  readonly device: SiteDevice;
  /** Absent for a worker started elsewhere. */
  readonly proc?: ChildProcess;
  socket?: Socket;
  alive: boolean;
  /** Resolves the wait for this worker's answer to an init (its weights are loaded). */
  onReady?: () => void;
}

const BIN = fileURLToPath(new URL('../../bin/coknight.js', import.meta.url));

export class Site {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { w: Worker; resolve: (f: { shape: number[]; data: Float32Array }) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private plans = new Map<string, SitePlan>();
  private planner: SiteOptions['plan'];
  readonly y: number;

  private constructor(
    private readonly o: SiteOptions,
    private readonly server: Server,
    readonly model: PolicyModel,
  ) {
    this.y = o.y ?? model.K;
    this.planner = o.plan;
  }

  static async start(o: SiteOptions): Promise<Site> {
    if (o.devices.length === 0) throw new Error('site: devices must list at least one worker');
    const model = createModel(o.spec, { inputShape: o.inputShape, numActions: o.numActions });
    const server = createServer();
    const host = o.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(o.port ?? 0, host, resolve));
    const site = new Site(o, server, model);
    await site.spawnAll(host, (server.address() as { port: number }).port);
    return site;
  }

  private async spawnAll(host: string, port: number): Promise<void> {
    const hello = new Map<string, (s: Socket) => void>();
    this.server.on('connection', (socket) => {
      socket.setNoDelay(true);
      readFrames(socket, (f) => {
        if (f.header.type === 'hello') hello.get(String(f.header.id))?.(socket);
        else if (f.header.type === 'ready') this.workers.find((w) => w.socket === socket)?.onReady?.();
        else if (f.header.type === 'error' && f.header.id == null) {
          // an init it could not load: the device holds no usable weights
          const w = this.workers.find((x) => x.socket === socket);
          socket.destroy();
          if (w) this.lose(w, `could not load the weights (${String(f.header.message)})`);
        } else this.onReply(f.header, f.body);
      });
      socket.on('error', () => {});
    });
    const timeoutMs = this.o.connectTimeoutMs ?? 60_000;
    if (this.o.externalWorkers) {
      this.o.log?.(`site: waiting for ${this.o.devices.length} workers at ${host}:${port}`);
      await Promise.all(this.o.devices.map((device) => this.awaitExternal(device, hello, timeoutMs)));
      await this.setWeights(await this.model.getLayerWeights());
      return;
    }
    await Promise.all(
      this.o.devices.map(
        (device) =>
          new Promise<void>((resolve, reject) => {
            const args = [process.execPath, BIN, 'site-worker', '--connect', `${host}:${port}`, '--id', device.id];
            if (device.delayMs) args.push('--delay-ms', String(device.delayMs));
            const argv = [...(device.wrap ?? []), ...args];
            const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
            const w: Worker = { device, proc, alive: true };
            this.workers.push(w);
            let err = '';
            proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
            const timer = setTimeout(() => reject(new Error(`site worker ${device.id} did not connect in ${timeoutMs / 1000} s: ${err}`)), timeoutMs);
            proc.once('exit', (code) => {
              clearTimeout(timer);
              this.lose(w, `exited (${code ?? 'signal'})`);
              reject(new Error(`site worker ${device.id} exited before connecting: ${err}`));
            });
            hello.set(device.id, (socket) => {
              clearTimeout(timer);
              w.socket = socket;
              socket.on('close', () => this.lose(w, 'closed its connection'));
              resolve();
            });
          }),
      ),
    );
    await this.setWeights(await this.model.getLayerWeights());
  }

  /** A worker started elsewhere: it counts once it has said hello with its device id. */
  private awaitExternal(device: SiteDevice, hello: Map<string, (s: Socket) => void>, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w: Worker = { device, alive: true };
      this.workers.push(w);
      const timer = setTimeout(
        () => reject(new Error(`site worker ${device.id} did not connect within ${timeoutMs / 1000} s (start it with coknight site-worker --id ${device.id})`)),
        timeoutMs,
      );
      hello.set(device.id, (socket) => {
        clearTimeout(timer);
        if (w.socket) {
          socket.destroy(); // a second worker claiming the same id
          return;
        }
        w.socket = socket;
        socket.on('close', () => this.lose(w, 'closed its connection'));
        this.o.log?.(`site: device ${device.id} connected from ${socket.remoteAddress}`);
        resolve();
      });
    });
  }

  private lose(w: Worker, why: string): void {
    if (!w.alive) return;
    w.alive = false;
    w.onReady?.();
    this.o.log?.(`site: device ${w.device.id} ${why}`);
    for (const [id, p] of this.pending) {
      if (p.w !== w) continue;
      this.pending.delete(id);
      p.reject(new DeviceLost(w.device.id));
    }
  }

  private onReply(h: Record<string, unknown>, body: Uint8Array): void {
    const p = this.pending.get(Number(h.id));
    if (!p) return;
    this.pending.delete(Number(h.id));
    if (h.type === 'result') p.resolve({ shape: h.shape as number[], data: floatsOf(body) });
    else p.reject(new Error(`site device ${p.w.device.id}: ${String(h.message)}`));
  }

  private request(w: Worker, header: Record<string, unknown>, body: Uint8Array): Promise<{ shape: number[]; data: Float32Array }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!w.alive || !w.socket) return reject(new DeviceLost(w.device.id));
      const timer = setTimeout(() => {
        // A stalled worker is dropped: killed when it is ours, cut off (it exits on close) when not.
        if (w.proc) w.proc.kill('SIGKILL');
        else w.socket?.destroy();
        this.lose(w, `did not answer in ${this.o.taskTimeoutMs ?? 30_000} ms`);
      }, this.o.taskTimeoutMs ?? 30_000);
      const done =
        <T>(f: (v: T) => void) =>
        (v: T) => (clearTimeout(timer), f(v));
      this.pending.set(id, { w, resolve: done(resolve), reject: done(reject) });
      w.socket.write(encodeFrame({ ...header, type: 'task', id } as { type: string }, body));
    });
  }

  /**
   * Loads a weights blob (PolicyModel.getLayerWeights) here and on every live worker; resolves once
   * every worker has loaded it (or is lost), so the time it takes is the site's real cost of a sync.
   */
  async setWeights(blob: Uint8Array): Promise<void> {
    this.model.setLayerWeights(blob);
    const { spec, inputShape, numActions } = this.o;
    // frames on one socket arrive in order: a task sent after this init runs on these weights
    await Promise.all(
      this.live().map(
        (w) =>
          new Promise<void>((resolve) => {
            w.onReady = () => {
              w.onReady = undefined;
              resolve();
            };
            w.socket?.write(encodeFrame({ type: 'init', spec, inputShape, numActions }, blob));
          }),
      ),
    );
  }

  /** Swaps the planner (experiments compare several on one set of processes); plans are re-derived. */
  setPlanner(plan: SiteOptions['plan']): void {
    this.planner = plan;
    this.plans.clear();
  }

  live(): Worker[] {
    return this.workers.filter((w) => w.alive);
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.workers.map((w) => [w.device.id, w.proc?.pid]));
  }

  private planFor(alive: readonly Worker[], y: number): SitePlan {
    const key = `${y}|${alive.map((w) => w.device.id).join(',')}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.planner(
        alive.map((w) => w.device),
        y,
      );
      const defs = Array.from({ length: this.model.K }, (_, i) => this.model.layerParts(i + 1).def);
      checkPlan(defs, plan, alive.length, y);
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** Layers 1..y on n raw observations, across the site. */
  async head(obs: Uint8Array, n: number, y = this.y): Promise<SiteStep> {
    const t0 = performance.now();
    const lost: string[] = [];
    const x = this.model.observationTensor(obs, n);
    try {
      for (;;) {
        const alive = this.live();
        if (alive.length === 0) throw new Error(`site: every device is lost (${lost.join(', ')})`);
        try {
          const out = await this.runPlan(this.planFor(alive, y), alive, x);
          return { out, lost, seconds: (performance.now() - t0) / 1000 };
        } catch (err) {
          if (!(err instanceof DeviceLost)) throw err;
          lost.push(err.message);
        }
      }
    } finally {
      x.dispose();
    }
  }

  private async runPlan(plan: SitePlan, alive: readonly Worker[], x: tf.Tensor): Promise<Float32Array> {
    const parts = Array.from({ length: this.model.K }, (_, i) => this.model.layerParts(i + 1));
    const defs = parts.map((p) => p.def);
    let h = tf.clone(x);
    try {
      for (const b of plan.blocks) {
        const outs = await Promise.all(
          b.parts.map(async (p, d) => {
            if (rowCount(p) === 0) return undefined;
            const input = cutInput(defs, b, d, h);
            const data = input.dataSync() as Float32Array;
            const shape = input.shape;
            input.dispose();
            const r = await this.request(alive[d], { block: b, device: d, shape }, bytesOf(data));
            const want = expectedShape(defs, b, d, shape[0]);
            if (r.shape.join('x') !== want.join('x')) {
              throw new Error(`site device ${alive[d].device.id} returned [${r.shape.join(', ')}] for block ${b.from}..${b.to}, expected [${want.join(', ')}]`);
            }
            return tf.tensor(r.data, r.shape, 'float32');
          }),
        );
        const next = gather(parts, b, outs);
        tf.dispose(outs.filter((o): o is tf.Tensor => o !== undefined));
        h.dispose();
        h = next;
      }
      return h.dataSync() as Float32Array;
    } finally {
      h.dispose();
    }
  }

  async close(): Promise<void> {
    for (const w of this.workers) {
      w.alive = false;
      w.socket?.destroy();
      if (w.proc && w.proc.exitCode === null) w.proc.kill('SIGTERM');
    }
    await new Promise<void>((r) => this.server.close(() => r()));
    this.model.dispose();
  }
}

function expectedShape(defs: Parameters<typeof deviceTask>[0], b: SitePlan['blocks'][number], d: number, n: number): number[] {
  const t = deviceTask(defs, b, d);
  if (t.fc?.mode === 'hybrid') return [n, t.fc.second.units];
  if (t.fc) return [n, t.fc.mode === 'data' ? t.fc.layout.units : rowCount(t.fc.part)];
  const last = defs[b.to - 1].outShape;
  return [n, rowCount(b.parts[d]), ...last.slice(1)];
}
