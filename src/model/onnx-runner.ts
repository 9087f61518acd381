/**
 * Inference on onnxruntime-node: one session per segment (head 1..y, tail y+1..K), made on first
 * use from the model's layer lists (onnx-graph.ts). Weights are graph inputs: each run feeds the
 * current ones, re-read from the tfjs variables only when a layer's `paramsEpoch` moved (an
 * optimizer step, a parameter message), so updates never rebuild a session and in-flight runs keep
 * the arrays they started with (a re-read makes new ones).
 *
 * `weights: 'baked'` builds them into the graph as initializers instead, which lets onnxruntime
 * pre-pack them (faster runs) but makes a new session whenever a layer of the segment changed: for
 * weights that stay put (eval), not for the learner or actors, whose weights change every update.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { buildSegmentGraph, type SegmentGraph, toGraphLayout, type WeightBinding } from './onnx-graph.js';
import type { PolicyModel } from './policy-model.js';
import { type Act, type ActOptions, pickActions } from './policy.js';

export type OrtModule = typeof Ort;

/** onnxruntime-node if it loads here, or why not (one line). */
export function loadOnnxRuntime(pkg = 'onnxruntime-node'): { ort: OrtModule; version: string } | { reason: string } {
  try {
    const ort = createRequire(import.meta.url)(pkg) as OrtModule;
    return { ort, version: ort.env.versions.node ?? ort.env.versions.common };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`'${pkg}'`)) return { reason: `${pkg} is not installed` };
    return { reason: `${pkg} is installed but failed to load: ${String(e.message).split('\n')[0]}` };
  }
}

interface Segment {
  readonly graph: SegmentGraph;
  readonly session: Ort.InferenceSession;
  inFlight: number;
  /** Replaced by a session on newer baked weights: released once its last run is done. */
  retired: boolean;
}

export type WeightsMode = 'inputs' | 'baked';

export class OnnxPolicyRunner {
  readonly kind = 'onnx' as const;
  /** Sessions made so far (one per segment used; a weight update makes none). */
  sessionsCreated = 0;
  private readonly sessions = new Map<string, { readonly segment: Promise<Segment>; readonly epochs: string }>();
  private readonly weights = new Map<string, { epoch: number; tensor: Ort.Tensor }>();
  private disposed = false;

  constructor(
    private readonly ort: OrtModule,
    private readonly model: PolicyModel,
    /** Intra-op threads per session (1: the calling thread only, as the tfjs measurements). */
    readonly threads = 1,
    readonly version = '',
    readonly weightsMode: WeightsMode = 'inputs',
  ) {}

  get detail(): string {
    const baked = this.weightsMode === 'baked' ? ', weights baked in' : '';
    return `onnxruntime-node ${this.version} (${this.threads} thread${this.threads === 1 ? '' : 's'}${baked})`;
  }

  /** Layers 1..y on n raw observations (y = 0: the observations as float32). */
  async head(obs: Uint8Array, n: number, y: number): Promise<Float32Array> {
    if (y === 0) return Float32Array.from(this.checked(obs, n, 0));
    const [out] = await this.run(0, y, obs, n);
    return out;
  }

  /** Layers y+1..K and the heads on n samples of split point y's activations. */
  async tail(input: Uint8Array | Float32Array, n: number, y: number): Promise<{ logits: Float32Array; values: Float32Array }> {
    const [logits, values] = await this.run(y, this.model.K, input, n);
    return { logits, values };
  }

  async act(input: Uint8Array | Float32Array, n: number, opts: ActOptions = {}): Promise<Act> {
    const { logits, values } = await this.tail(input, n, opts.splitPoint ?? 0);
    return { logits, values, actions: pickActions(logits, n, this.model.numActions, opts) };
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.sessions.values()) this.retire(s.segment);
    this.sessions.clear();
    this.weights.clear();
  }

  private async run(from: number, to: number, data: Uint8Array | Float32Array, n: number): Promise<Float32Array[]> {
    if (this.disposed) throw new Error('OnnxPolicyRunner: used after dispose()');
    const input = this.checked(data, n, from);
    const seg = await this.segment(from, to);
    const feeds: Record<string, Ort.Tensor> = {
      input:
        input instanceof Uint8Array
          ? new this.ort.Tensor('uint8', input, [n, ...seg.graph.input.shape])
          : new this.ort.Tensor('float32', input, [n, ...seg.graph.input.shape]),
    };
    for (const b of seg.graph.weights) feeds[b.name] = this.weight(b);
    seg.inFlight++;
    try {
      const out = await seg.session.run(feeds);
      return seg.graph.outputs.map((name) => out[name].data as Float32Array);
    } finally {
      seg.inFlight--;
      if (seg.retired && seg.inFlight === 0) void seg.session.release();
    }
  }

  private segment(from: number, to: number): Promise<Segment> {
    const key = `${from}:${to}`;
    // Baked weights are part of the session: one made on older weights is replaced.
    let epochs = '';
    if (this.weightsMode === 'baked') for (let k = Math.max(1, from); k <= to; k++) epochs += `${this.model.paramsEpoch(k)},`;
    const s = this.sessions.get(key);
    if (s && s.epochs === epochs) return s.segment;
    if (s) this.retire(s.segment);
    const segment = this.createSegment(from, to);
    this.sessions.set(key, { segment, epochs });
    // A failed creation is not cached: the next call tries again and reports its own error.
    segment.catch(() => {
      if (this.sessions.get(key)?.segment === segment) this.sessions.delete(key);
    });
    return segment;
  }

  private retire(p: Promise<Segment>): void {
    void p
      .then((seg) => {
        seg.retired = true;
        if (seg.inFlight === 0) return seg.session.release();
      })
      .catch(() => undefined);
  }

  private async createSegment(from: number, to: number): Promise<Segment> {
    const read = (b: WeightBinding): Float32Array => toGraphLayout(this.model.layerVariables(b.layer)[b.param].dataSync() as Float32Array, b);
    const graph = buildSegmentGraph(this.model, from, to, this.weightsMode === 'baked' ? read : undefined);
    const session = await this.ort.InferenceSession.create(graph.bytes, {
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    this.sessionsCreated++;
    return { graph, session, inFlight: 0, retired: false };
  }

  /** The graph-layout copy of one weight, re-read when its layer changed since the last read. */
  private weight(b: WeightBinding): Ort.Tensor {
    const epoch = this.model.paramsEpoch(b.layer);
    const hit = this.weights.get(b.name);
    if (hit && hit.epoch === epoch) return hit.tensor;
    const data = this.model.layerVariables(b.layer)[b.param].dataSync() as Float32Array;
    const tensor = new this.ort.Tensor('float32', toGraphLayout(data, b), [...b.shape]);
    this.weights.set(b.name, { epoch, tensor });
    return tensor;
  }

  /** The same checks as PolicyModel.activationTensor: uint8 observations at y = 0, float32 layer-y outputs otherwise. */
  private checked(data: Uint8Array | Float32Array, n: number, y: number): Uint8Array | Float32Array {
    const m = this.model;
    if (!Number.isInteger(y) || y < 0 || y > m.K)
      throw new RangeError(`onnx inference: split point y=${String(y)} must be an integer in 0..${m.K} for ${m.spec}`);
    const shape = y === 0 ? m.inputShape : m.layers[y - 1].outShape;
    const size = n * shape.reduce((a, b) => a * b, 1);
    if ((y === 0) !== data instanceof Uint8Array || data.length !== size) {
      throw new Error(
        `onnx inference: split ${y} of ${m.spec} needs a ${y === 0 ? 'Uint8Array' : 'Float32Array'} of ${n}×${shape.join('×')} = ${size} values, ` +
          `got a ${data.constructor.name} of ${data.length}`,
      );
    }
    return data;
  }
}
