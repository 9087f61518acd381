// Conv2D / FusedConv2D forward and both gradients on the addon (im2col + sgemm), NHWC, no
// dilation; other cases go to the kernel registered before.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type backend_util, util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { convGeometry, type ConvGeometry } from '../wasm-kernels/conv-geometry.js';
import { scratchLimit } from '../wasm-kernels/heap.js';
import type { NativeBlas } from './addon.js';
import { epilogueArgs, floatOffset, heapOf, NO_EPILOGUE } from './epilogue.js';

type Pad = 'same' | 'valid' | number | backend_util.ExplicitPadding;
interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
  inputShape?: number[];
  filterShape?: number[];
}

interface Args {
  inputs: Record<string, TensorInfo | undefined>;
  attrs: ConvAttrs;
  backend: BackendWasm;
}

const unpack = (args: Parameters<KernelFunc>[0]): Args => ({
  inputs: args.inputs as Record<string, TensorInfo | undefined>,
  attrs: args.attrs as unknown as ConvAttrs & NamedAttrMap,
  backend: args.backend as BackendWasm,
});

/** im2col rows per sgemm: a chunk of 256 KiB stays in L2 between im2col and the sgemm (tests lower it via setScratchFloats). */
const chunkFloats = (): number => Math.min(scratchLimit(), 1 << 16);

function geometryArray(g: ConvGeometry): Int32Array {
  return Int32Array.of(g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.fh, g.fw, g.sh, g.sw, g.padTop, g.padLeft);
}

/** NHWC, undilated, float32: what the addon computes. */
function covered(attrs: ConvAttrs, ...ts: TensorInfo[]): boolean {
  const d = attrs.dilations ?? 1;
  const undilated = typeof d === 'number' ? d === 1 : d.every((v) => v === 1);
  return undilated && (attrs.dataFormat ?? 'NHWC') === 'NHWC' && ts.every((t) => t.dtype === 'float32');
}

/** Conv2D (fused = false) or FusedConv2D (bias, activation). */
export function nativeConv2D(addon: NativeBlas, fallback: () => KernelFunc, fused: boolean): KernelFunc {
  return (raw) => {
    const { inputs, attrs, backend } = unpack(raw);
    const x = inputs.x!;
    const filter = inputs.filter!;
    if (!covered(attrs, x, filter)) return fallback()(raw);
    const g = convGeometry('Conv2D', x.shape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
    const epi = fused ? epilogueArgs(backend, g.outC, inputs.bias, attrs.activation, attrs.leakyreluAlpha, inputs.preluActivationWeights) : NO_EPILOGUE;
    if (epi == null) return fallback()(raw);
    const out = backend.makeOutput([g.batch, g.outH, g.outW, g.outC], 'float32');
    if (util.sizeFromShape(out.shape) === 0) return out;
    addon.conv(heapOf(backend), 0, geometryArray(g), floatOffset(backend, x), floatOffset(backend, filter), floatOffset(backend, out), chunkFloats(), ...epi);
    return out;
  };
}

export function nativeConv2DBackpropInput(addon: NativeBlas, fallback: () => KernelFunc): KernelFunc {
  return (raw) => {
    const { inputs, attrs, backend } = unpack(raw);
    const dy = inputs.dy!;
    const filter = inputs.filter!;
    if (!covered(attrs, dy, filter)) return fallback()(raw);
    const shape = [...attrs.inputShape!];
    const g = convGeometry('Conv2DBackpropInput', shape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
    const out = backend.makeOutput(shape, 'float32');
    if (util.sizeFromShape(shape) === 0) return out;
    addon.conv(
      heapOf(backend),
      1,
      geometryArray(g),
      floatOffset(backend, dy),
      floatOffset(backend, filter),
      floatOffset(backend, out),
      chunkFloats(),
      ...NO_EPILOGUE,
    );
    return out;
  };
}

export function nativeConv2DBackpropFilter(addon: NativeBlas, fallback: () => KernelFunc): KernelFunc {
  return (raw) => {
    const { inputs, attrs, backend } = unpack(raw);
    const x = inputs.x!;
    const dy = inputs.dy!;
    if (!covered(attrs, x, dy)) return fallback()(raw);
    const shape = [...attrs.filterShape!];
    const g = convGeometry('Conv2DBackpropFilter', x.shape, shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
    const out = backend.makeOutput(shape, 'float32');
    if (util.sizeFromShape(shape) === 0) return out;
    addon.conv(
      heapOf(backend),
      2,
      geometryArray(g),
      floatOffset(backend, x),
      floatOffset(backend, dy),
      floatOffset(backend, out),
      chunkFloats(),
      ...NO_EPILOGUE,
    );
    return out;
  };
}
